"""``mcp-public`` tables of the file, shell, code, data, office-document and web apps.

Sources (PUBLIC_MCP_SURFACES.md): the reference filesystem, git and SQLite servers
(modelcontextprotocol/servers), MladenSU/cli-mcp-server, haris-musa/excel-mcp-server,
GongRzhe's Word and PowerPoint servers, lockon-n/pdf-tools-mcp, lockon-n's Playwright
fork, and Toolathlon's local web search and fetch tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workgym.core import PublicSurface, PublicTool, register_public_surface, render_result

# -- result shapes of the public servers ----------------------------------------------------


def _listing(value: Any, args: Mapping[str, Any]) -> str | None:
    """``list_directory``: one ``[DIR] name`` or ``[FILE] name`` line per entry."""
    if not isinstance(value, list):
        return None
    lines = []
    for entry in value:
        if entry.get("type") == "folder":
            lines.append(f"[DIR] {entry.get('path')}")
        else:
            lines.append(f"[FILE] {entry.get('path')} ({entry.get('size')} bytes)")
    return "\n".join(lines) or "(empty directory)"


def _hits(value: Any, args: Mapping[str, Any]) -> str | None:
    """A content search as ``path:line: text`` lines, or ``No matches found``."""
    if not isinstance(value, list):
        return None
    return "\n".join(f"{h.get('path')}:{h.get('line')}: {h.get('text')}" for h in value) \
        or "No matches found"


def _said(sentence: str) -> Any:
    """A renderer that answers with ``sentence`` (formatted with the call's arguments)
    before the native text, as servers that confirm in words do."""

    def render(value: Any, args: Mapping[str, Any]) -> str | None:
        head = sentence.format(**{k: v for k, v in args.items() if v is not None})
        return head if isinstance(value, str) else f"{head}\n{render_result(value, 'text')}"

    return render


def _command(value: Any, args: Mapping[str, Any]) -> str | None:
    """cli-mcp-server: the stdout, the stderr, then the return code."""
    if not isinstance(value, dict):
        return None
    parts = [p for p in (value.get("stdout"), value.get("stderr")) if p]
    code = value.get("exit_code")
    parts.append(f"\nCommand completed with return code: {code}" if code is not None
                 else "\nCommand did not complete (it was killed)")
    return "\n".join(parts)


def _diff(value: Any, args: Mapping[str, Any]) -> str | None:
    if not isinstance(value, str):
        return None
    if args.get("staged"):
        head = "Staged changes:"
    elif args.get("base"):
        head = f"Diff with {args['base']}:"
    else:
        head = "Unstaged changes:"
    return f"{head}\n{value}"


def _commit(value: Any, args: Mapping[str, Any]) -> str | None:
    if not isinstance(value, dict) or "commit" not in value:
        return None
    return (f"Changes committed successfully with hash {value['commit']}\n"
            f"{render_result(value, 'text')}")


def _rows(value: Any, args: Mapping[str, Any]) -> str | None:
    """A query's rows as a ``|`` table under its column names, then the counts."""
    if not isinstance(value, dict) or "columns" not in value or "rows" not in value:
        return None
    names: list[str] = []
    for column in value["columns"]:
        name, n = str(column), 2
        while name in names:  # SELECT a, a: both columns stay
            name, n = f"{column}_{n}", n + 1
        names.append(name)
    rows = [dict(zip(names, row, strict=False)) for row in value["rows"]]
    rest = {k: v for k, v in value.items() if k not in ("columns", "rows")}
    table = render_result(rows, "text") if rows else " | ".join(names)
    return f"{table}\n{render_result(rest, 'text')}"


SURFACES = (
    register_public_surface(PublicSurface(
        app="files", server="filesystem",
        modelled_on="modelcontextprotocol/servers src/filesystem (Toolathlon: filesystem)",
        tools={
            "read": PublicTool("read_file"),
            "write": PublicTool("write_file", render=_said("Successfully wrote to {path}")),
            "list": PublicTool("list_directory", render=_listing),
            "search": PublicTool("search_files", order=("path", "pattern"), render=_hits),
            "move": PublicTool("move_file",
                               render=_said("Successfully moved {source} to {destination}")),
            "delete": PublicTool("delete_file", render=_said("Successfully deleted {path}")),
        })),
    register_public_surface(PublicSurface(
        app="terminal", server="terminal",
        modelled_on="MladenSU/cli-mcp-server (Toolathlon: terminal)",
        tools={"run": PublicTool("run_command", {"timeout_s": "timeout"}, render=_command)})),
    register_public_surface(PublicSurface(
        app="git", server="git", modelled_on="modelcontextprotocol/servers src/git",
        tools={
            "status": PublicTool("git_status", headline="Repository status:"),
            "diff": PublicTool("git_diff", {"context": "context_lines"}, render=_diff),
            "log": PublicTool("git_log", {"limit": "max_count"}, headline="Commit history:"),
            "show": PublicTool("git_show"),
            "add": PublicTool("git_add", {"paths": "files"}, render=_said(
                "Files staged successfully")),
            "commit": PublicTool("git_commit", render=_commit),
            "reset": PublicTool("git_reset", {"paths": "files"}, render=_said(
                "Staged changes reset")),
            "branch": PublicTool("git_branch"),
            "create_branch": PublicTool("git_create_branch", {
                "name": "branch_name", "start_point": "base_branch"}),
            "checkout": PublicTool("git_checkout", {"target": "branch_name"}),
        })),
    register_public_surface(PublicSurface(
        app="db", modelled_on="modelcontextprotocol/servers src/sqlite (archived reference); "
                              "Toolathlon runs no SQLite server, so no server prefix",
        tools={
            "query": PublicTool("read_query", {"sql": "query"}, render=_rows),
            "execute": PublicTool("write_query", {"sql": "query"}),
            "list_tables": PublicTool("list_tables"),
            "describe_table": PublicTool("describe_table", {"table": "table_name"}),
        })),
    register_public_surface(PublicSurface(
        app="sheets", server="excel", format="json",
        modelled_on="haris-musa/excel-mcp-server (Toolathlon: excel)",
        tools={
            "create_workbook": PublicTool("create_workbook", {
                "path": "filepath", "sheet": "sheet_name"}),
            "add_sheet": PublicTool("create_worksheet", {
                "path": "filepath", "name": "sheet_name"}),
            "list_sheets": PublicTool("get_workbook_metadata", {"path": "filepath"}),
            "read_range": PublicTool("read_data_from_excel", {
                "path": "filepath", "sheet": "sheet_name", "range": "cell_range"}),
            "write_cells": PublicTool("write_data_to_excel", {
                "path": "filepath", "sheet": "sheet_name"}),
            "append_rows": PublicTool("append_rows", {"path": "filepath", "sheet": "sheet_name"}),
            "delete_rows": PublicTool("delete_sheet_rows", {
                "path": "filepath", "sheet": "sheet_name", "row": "start_row"}),
        })),
    register_public_surface(PublicSurface(
        app="docs", server="word",
        modelled_on="GongRzhe/Office-Word-MCP-Server (Toolathlon: word)",
        tools={
            "create": PublicTool("create_document", {"path": "filename"}),
            "read": PublicTool("get_document_text", {"path": "filename"}),
            "outline": PublicTool("get_document_outline", {"path": "filename"}),
            "find": PublicTool("find_text_in_document", {
                "path": "filename", "text": "text_to_find"}),
            "insert_paragraphs": PublicTool("add_paragraphs", {
                "path": "filename", "at": "position"}),
            "insert_table": PublicTool("add_table", {
                "path": "filename", "rows": "data", "at": "position"}),
            "replace_text": PublicTool("search_and_replace", {
                "path": "filename", "old": "find_text", "new": "replace_text"}),
            "replace_paragraph": PublicTool("replace_paragraph", {
                "path": "filename", "block": "paragraph_index"}),
            "replace_section": PublicTool("replace_section", {"path": "filename"}),
            "delete_blocks": PublicTool("delete_paragraph", {
                "path": "filename", "block": "paragraph_index"}),
            "read_table": PublicTool("get_table_data", {
                "path": "filename", "block": "table_index"}),
            "fill_table": PublicTool("update_table_cells", {
                "path": "filename", "block": "table_index"}),
            "add_comment": PublicTool("add_comment", {
                "path": "filename", "block": "paragraph_index"}),
            "list_comments": PublicTool("get_all_comments", {"path": "filename"}),
        })),
    register_public_surface(PublicSurface(
        app="slides", server="pptx", format="json",
        modelled_on="GongRzhe/Office-PowerPoint-MCP-Server (Toolathlon: pptx); it keeps "
                    "presentations in memory by id, here every tool takes the file",
        tools={
            "create": PublicTool("create_presentation", {"path": "file_path"}),
            "list_slides": PublicTool("get_presentation_info", {"path": "file_path"}),
            "read_slide": PublicTool("get_slide_info", {
                "path": "file_path", "slide": "slide_index"}),
            "list_layouts": PublicTool("list_slide_layouts", {"path": "file_path"}),
            "add_slide": PublicTool("add_slide", {"path": "file_path", "at": "position"}),
            "set_title": PublicTool("set_slide_title", {
                "path": "file_path", "slide": "slide_index"}),
            "set_text": PublicTool("populate_placeholder", {
                "path": "file_path", "slide": "slide_index", "shape": "shape_id"}),
            "add_text_box": PublicTool("add_textbox", {
                "path": "file_path", "slide": "slide_index"}),
            "add_table": PublicTool("add_table", {
                "path": "file_path", "slide": "slide_index", "rows": "data"}),
            "fill_table": PublicTool("update_table", {
                "path": "file_path", "slide": "slide_index", "shape": "shape_id",
                "values": "data"}),
            "delete_slide": PublicTool("delete_slide", {
                "path": "file_path", "slide": "slide_index"}),
            "delete_shape": PublicTool("delete_shape", {
                "path": "file_path", "slide": "slide_index", "shape": "shape_id"}),
            "move_slide": PublicTool("move_slide", {
                "path": "file_path", "slide": "slide_index", "to": "new_index"}),
            "set_notes": PublicTool("set_slide_notes", {
                "path": "file_path", "slide": "slide_index", "text": "notes"}),
            "find": PublicTool("find_text", {"path": "file_path"}),
        })),
    register_public_surface(PublicSurface(
        app="pdf", server="pdf-tools", modelled_on="lockon-n/pdf-tools-mcp (Toolathlon: pdf-tools)",
        tools={
            "info": PublicTool("get_pdf_info", {"path": "pdf_file_path"}),
            "read_pages": PublicTool("read_pdf_pages", {"path": "pdf_file_path"}),
            "read_tables": PublicTool("extract_pdf_tables", {"path": "pdf_file_path"}),
            "search": PublicTool("search_pdf_content", {
                "path": "pdf_file_path", "limit": "page_size"}),
        })),
    register_public_surface(PublicSurface(
        app="browser", server="playwright_with_chunk", format="text",
        modelled_on="lockon-n/playwright-mcp fork (Toolathlon: playwright_with_chunk); "
                    "element before ref, as Playwright MCP orders them",
        tools={
            "navigate": PublicTool("browser_navigate"),
            "navigate_back": PublicTool("browser_navigate_back"),
            "navigate_forward": PublicTool("browser_navigate_forward"),
            "snapshot": PublicTool("browser_snapshot", {"span": "spanIndex"}),
            "click": PublicTool("browser_click", order=("element", "ref")),
            "type": PublicTool("browser_type", order=("element", "ref")),
            "select_option": PublicTool("browser_select_option", order=("element", "ref")),
            "press_key": PublicTool("browser_press_key"),
            "read_table": PublicTool("browser_read_table", order=("element", "ref")),
        })),
    register_public_surface(PublicSurface(
        app="search", server="local",
        modelled_on="Toolathlon's local-web_search and arxiv_local's search_papers/read_paper",
        tools={
            "search": PublicTool("web_search", {"limit": "num_results"}),
            "open": PublicTool("read_document", {"document": "document_id"}),
            "list_sources": PublicTool("list_sources"),
        })),
)
