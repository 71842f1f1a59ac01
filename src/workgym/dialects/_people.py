"""``mcp-public`` tables of the communication and team apps.

Sources (PUBLIC_MCP_SURFACES.md unless noted): lockon-n/emails-mcp (Toolathlon:
emails), GongRzhe/Calendar-Autoauth-MCP-Server (Toolathlon: google_calendar), the
archived Slack reference server, the reference memory server's naming (Toolathlon:
memory), makenotion/notion-mcp-server v1.9 (Toolathlon: notion), and for tickets the
Jira tools of sooperset/mcp-atlassian (``jira_*``, ``issue_key``; not in that document).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workgym.core import PublicSurface, PublicTool, register_public_surface, render_result


def _sent(value: Any, args: Mapping[str, Any]) -> str | None:
    """emails-mcp: ``Email sent successfully to ...``, then the message as text."""
    if not isinstance(value, dict):
        return None
    to = ", ".join(value.get("to") or args.get("to") or [])
    return f"Email sent successfully to {to}\n{render_result(value, 'text')}"


def _event(head: str) -> Any:
    def render(value: Any, args: Mapping[str, Any]) -> str | None:
        if not isinstance(value, dict):
            return None
        return f"{head} {value.get('id', args.get('event_id'))}\n{render_result(value, 'text')}"

    return render


def _events(value: Any, args: Mapping[str, Any]) -> str | None:
    """``Found N events:`` and the events as JSON."""
    if isinstance(value, dict) and isinstance(value.get("events"), list):
        return f"Found {len(value['events'])} events:\n{render_result(value, 'pretty')}"
    if isinstance(value, list):
        return f"Found {len(value)} events:\n{render_result(value, 'pretty')}"
    return None


SURFACES = (
    register_public_surface(PublicSurface(
        app="mail", server="emails", modelled_on="lockon-n/emails-mcp (Toolathlon: emails)",
        tools={
            "search": PublicTool("search_emails", {"limit": "page_size"}),
            "read": PublicTool("read_email", {"message_id": "email_id"}),
            "send": PublicTool("send_email", render=_sent),
            "reply": PublicTool("reply_email", {"message_id": "email_id"}),
            "forward": PublicTool("forward_email", {"message_id": "email_id"}),
            "list_folders": PublicTool("get_folders"),
            "save_attachment": PublicTool("download_attachment", {
                "message_id": "email_id", "filename": "attachment_filename",
                "path": "save_path"}),
        })),
    register_public_surface(PublicSurface(
        app="calendar", server="google_calendar",
        modelled_on="GongRzhe/Calendar-Autoauth-MCP-Server (Toolathlon: google_calendar); "
                    "camelCase arguments as Google's API names them",
        tools={
            "create_event": PublicTool("create_event", {
                "title": "summary", "timezone": "timeZone", "room": "location"},
                render=_event("Event created with ID:")),
            "get_event": PublicTool("get_event", {"event_id": "eventId", "timezone": "timeZone"}),
            "update_event": PublicTool("update_event", {
                "event_id": "eventId", "title": "summary", "timezone": "timeZone",
                "room": "location"}, render=_event("Event updated:")),
            "cancel_event": PublicTool("delete_event", {"event_id": "eventId"},
                                       render=_event("Event deleted:")),
            "list_events": PublicTool("list_events", {
                "calendar": "calendarId", "start": "timeMin", "end": "timeMax",
                "timezone": "timeZone"}, render=_events),
            "free_busy": PublicTool("get_freebusy", {
                "calendars": "calendarIds", "start": "timeMin", "end": "timeMax",
                "timezone": "timeZone"}),
            "list_rooms": PublicTool("list_rooms", {"min_capacity": "minCapacity"}),
        })),
    register_public_surface(PublicSurface(
        app="chat", format="json",
        modelled_on="modelcontextprotocol/servers src/slack (archived); Toolathlon runs no "
                    "Slack server, so no server prefix",
        tools={
            "list_channels": PublicTool("slack_list_channels"),
            "read_channel": PublicTool("slack_get_channel_history", {"channel": "channel_id"}),
            "read_thread": PublicTool("slack_get_thread_replies", {"message_id": "thread_ts"}),
            "post": PublicTool("slack_post_message", {"channel": "channel_id"}),
            "reply": PublicTool("slack_reply_to_thread", {"message_id": "thread_ts"}),
            "react": PublicTool("slack_add_reaction", {
                "message_id": "timestamp", "emoji": "reaction"}),
            "list_users": PublicTool("slack_get_users"),
            "search": PublicTool("slack_search_messages", {"channel": "channel_id"}),
            "send_direct": PublicTool("slack_post_direct_message", {"to": "users"}),
        })),
    register_public_surface(PublicSurface(
        app="contacts",
        modelled_on="no public directory server in PUBLIC_MCP_SURFACES.md: verb_noun names "
                    "and snake_case arguments after its section 17 conventions",
        tools={
            "get": PublicTool("get_person"),
            "search": PublicTool("search_people", {"limit": "max_results"}),
            "list_teams": PublicTool("list_teams"),
            "list_team": PublicTool("list_team_members", {"team": "team_name"}),
            "list_offices": PublicTool("list_offices"),
            "manager_chain": PublicTool("get_manager_chain"),
            "reports": PublicTool("list_direct_reports", {"transitive": "include_indirect"}),
        })),
    register_public_surface(PublicSurface(
        app="memory", server="memory", format="pretty",
        modelled_on="Toolathlon's memory server name; the reference server keeps a knowledge "
                    "graph, so the key-value verbs follow section 17 (get, list, delete)",
        tools={
            "set": PublicTool("store_value"),
            "get": PublicTool("read_value"),
            "get_many": PublicTool("read_values"),
            "list_keys": PublicTool("list_keys"),
            "delete": PublicTool("delete_value"),
        })),
    register_public_surface(PublicSurface(
        app="wiki", server="notion", format="json",
        modelled_on="makenotion/notion-mcp-server v1.9 API-{operationId} names (Toolathlon: "
                    "notion), snake_case REST fields",
        tools={
            "search": PublicTool("API-post-search", {"limit": "page_size"}),
            "read": PublicTool("API-retrieve-a-page", {"page": "page_id"}),
            "create": PublicTool("API-post-page"),
            "edit": PublicTool("API-patch-page", {"page": "page_id"}),
            "list_pages": PublicTool("API-get-pages", {"limit": "page_size"}),
            "history": PublicTool("API-get-page-revisions", {"page": "page_id"}),
            "diff": PublicTool("API-get-page-diff", {"page": "page_id"}),
            "backlinks": PublicTool("API-get-backlinks", {"page": "page_id"}),
            "move": PublicTool("API-move-page", {"page": "page_id"}),
        })),
    register_public_surface(PublicSurface(
        app="tickets", format="json",
        modelled_on="sooperset/mcp-atlassian's Jira tools (jira_*, issue_key, project_key); "
                    "Toolathlon runs no Jira server, so no server prefix",
        tools={
            "get": PublicTool("jira_get_issue", {"ticket_id": "issue_key"}),
            "search": PublicTool("jira_search", {"project": "project_key", "state": "status"}),
            "create": PublicTool("jira_create_issue", {
                "project": "project_key", "title": "summary"}),
            "update": PublicTool("jira_update_issue", {
                "ticket_id": "issue_key", "title": "summary"}),
            "transition": PublicTool("jira_transition_issue", {
                "ticket_id": "issue_key", "state": "status"}),
            "comment": PublicTool("jira_add_comment", {
                "ticket_id": "issue_key", "body": "comment"}),
            "link": PublicTool("jira_create_issue_link", {
                "ticket_id": "inward_issue_key", "kind": "link_type",
                "target_id": "outward_issue_key"}),
            "list_projects": PublicTool("jira_get_all_projects"),
            "get_project": PublicTool("jira_get_project", {"project": "project_key"}),
        })),
)
