"""``mcp-public`` tables of the business apps: CRM, HR, LMS, shop, payments, markets, travel.

Sources (PUBLIC_MCP_SURFACES.md): lockon-n/mcp-canvas-lms (Toolathlon: canvas,
``canvas_{verb}_{noun}``), lockon-n/woocommerce-mcp (Toolathlon: woocommerce,
``woo_{resource}_{verb}``, camelCase arguments), Alex2Yang97's yahoo-finance server
(Toolathlon: yahoo-finance). The CRM, HR, payments and travel apps have no public
server there: their names follow its section 17 (a namespace prefix for a server that
covers many resources, ``verb_noun``, snake_case arguments, ``limit``/``offset`` kept).
"""

from __future__ import annotations

from workgym.core import PublicSurface, PublicTool, register_public_surface

_WOO_PAGE = {"limit": "perPage"}

SURFACES = (
    register_public_surface(PublicSurface(
        app="lms", server="canvas", format="json",
        modelled_on="lockon-n/mcp-canvas-lms (Toolathlon: canvas)",
        tools={
            "list_courses": PublicTool("canvas_list_courses"),
            "get_course": PublicTool("canvas_get_course"),
            "list_assignments": PublicTool("canvas_list_assignments"),
            "get_assignment": PublicTool("canvas_get_assignment"),
            "list_submissions": PublicTool("canvas_list_submissions", {
                "student_id": "user_id", "status": "workflow_state"}),
            "get_submission": PublicTool("canvas_get_submission"),
            "grade_submission": PublicTool("canvas_submit_grade", {"feedback": "comment"}),
            "submit_assignment": PublicTool("canvas_submit_assignment", {
                "text": "body", "student_id": "user_id"}),
            "enrol": PublicTool("canvas_enroll_user", {"student_id": "user_id"}),
            "drop": PublicTool("canvas_unenroll_user", {"student_id": "user_id"}),
            "list_enrolments": PublicTool("canvas_list_enrollments", {"student_id": "user_id"}),
            "list_students": PublicTool("canvas_list_users", {"query": "search_term"}),
            "get_student": PublicTool("canvas_get_user_profile", {"student_id": "user_id"}),
            "get_timetable": PublicTool("canvas_get_user_timetable", {"student_id": "user_id"}),
            "get_gradebook": PublicTool("canvas_get_gradebook"),
        })),
    register_public_surface(PublicSurface(
        app="shop", server="woocommerce", format="json",
        modelled_on="lockon-n/woocommerce-mcp (Toolathlon: woocommerce)",
        tools={
            "search_products": PublicTool("woo_products_list", {
                "query": "search", "in_stock": "inStock", **_WOO_PAGE}),
            "get_product": PublicTool("woo_products_get"),
            "restock": PublicTool("woo_products_restock"),
            "list_stock_moves": PublicTool("woo_stock_moves_list", {**_WOO_PAGE}),
            "list_orders": PublicTool("woo_orders_list", {"customer_id": "customer", **_WOO_PAGE}),
            "get_order": PublicTool("woo_orders_get", {"order_id": "orderId"}),
            "cancel_order": PublicTool("woo_orders_cancel", {"order_id": "orderId"}),
            "list_customers": PublicTool("woo_customers_list", {"query": "search", **_WOO_PAGE}),
            "get_customer": PublicTool("woo_customers_get", {"customer_id": "customerId"}),
            "create_return": PublicTool("woo_returns_create", {
                "order_id": "orderId", "refund_method": "refundMethod"}),
            "get_return": PublicTool("woo_returns_get", {"return_id": "returnId"}),
            "list_returns": PublicTool("woo_returns_list", {"order_id": "orderId", **_WOO_PAGE}),
            "process_return": PublicTool("woo_returns_process", {"return_id": "returnId"}),
            "cancel_return": PublicTool("woo_returns_cancel", {"return_id": "returnId"}),
        })),
    register_public_surface(PublicSurface(
        app="market", server="yahoo-finance", format="json",
        modelled_on="Alex2Yang97/yahoo-finance-mcp (Toolathlon: yahoo-finance)",
        tools={
            "quote": PublicTool("get_stock_quotes"),
            "history": PublicTool("get_historical_stock_prices", {
                "start": "start_date", "end": "end_date"}),
            "fundamentals": PublicTool("get_stock_info"),
            "search_instruments": PublicTool("search_tickers"),
            "fx": PublicTool("get_exchange_rate", {
                "base": "from_currency", "quote": "to_currency"}),
        })),
    register_public_surface(PublicSurface(
        app="crm", format="json",
        modelled_on="no public CRM server in PUBLIC_MCP_SURFACES.md: native names stand "
                    "(already section 17's crm_ namespace and verb_noun)",
        tools={m: PublicTool(f"crm_{m}") for m in (
            "list_accounts", "get_account", "list_contacts", "get_contact", "add_contact",
            "list_deals", "get_deal", "create_deal", "update_deal", "move_deal",
            "list_activities", "get_activity", "log_activity", "forecast", "list_users")})),
    register_public_surface(PublicSurface(
        app="hr", format="json",
        modelled_on="no public HR server in PUBLIC_MCP_SURFACES.md: native names stand "
                    "(already section 17's hr_ namespace and verb_noun)",
        tools={m: PublicTool(f"hr_{m}") for m in (
            "list_employees", "get_employee", "add_employee", "list_leave_requests",
            "get_leave_request", "request_leave", "cancel_leave", "decide_leave",
            "get_leave_balance", "list_timesheets", "get_timesheet", "log_hours",
            "submit_timesheet", "decide_timesheet", "list_payroll_periods",
            "get_payroll_period", "close_payroll", "list_checklists", "get_checklist",
            "start_onboarding", "add_task", "complete_task")})),
    register_public_surface(PublicSurface(
        app="payments", format="json",
        modelled_on="no public banking server in PUBLIC_MCP_SURFACES.md: section 17 "
                    "conventions (verb_noun, <thing>_id)",
        tools={
            "list_accounts": PublicTool("list_bank_accounts"),
            "list_transactions": PublicTool("list_transactions", {"text": "search"}),
            "statement": PublicTool("get_account_statement"),
            "list_payees": PublicTool("list_payees"),
            "add_payee": PublicTool("create_payee"),
            "list_invoices": PublicTool("list_invoices"),
            "get_invoice": PublicTool("get_invoice"),
            "pay_invoice": PublicTool("pay_invoice", {"from_account": "from_account_id"}),
            "transfer": PublicTool("create_transfer", {
                "from_account": "from_account_id", "to_account": "to_account_id"}),
        })),
    register_public_surface(PublicSurface(
        app="travel", format="text",
        modelled_on="no public travel-booking server in PUBLIC_MCP_SURFACES.md: section 17 "
                    "conventions; the distance tool after the Google Maps server's maps_ names",
        tools={
            "list_places": PublicTool("list_places"),
            "get_distance": PublicTool("maps_distance"),
            "search_flights": PublicTool("search_flights", {"date": "departure_date"}),
            "get_flight": PublicTool("get_flight"),
            "book_flight": PublicTool("book_flight"),
            "search_trains": PublicTool("search_trains", {"date": "departure_date"}),
            "get_train": PublicTool("get_train"),
            "book_train": PublicTool("book_train"),
            "search_hotels": PublicTool("search_hotels"),
            "get_hotel": PublicTool("get_hotel"),
            "book_hotel": PublicTool("book_hotel"),
            "list_travellers": PublicTool("list_travellers"),
            "get_policies": PublicTool("get_travel_policies"),
            "list_bookings": PublicTool("list_bookings"),
            "get_booking": PublicTool("get_booking"),
            "cancel_booking": PublicTool("cancel_booking"),
            "get_itinerary": PublicTool("get_itinerary"),
        })),
)
