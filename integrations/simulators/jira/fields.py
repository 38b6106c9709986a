"""Field validation for the Jira simulator's create, edit and transition screens.

Jira answers a bad create/edit with 400 `{"errorMessages": [], "errors": {field: message}}`.
Messages below are the ones Jira Cloud sends as far as public reports show them (e.g.
"You must specify a summary of the issue.", "Specify a valid project ID or key",
"Component name 'x' is not valid", "Field 'x' cannot be set. It is not on the appropriate
screen, or unknown."). v2 takes `description` as a plain string; an Atlassian Document
(a JSON object) is refused with "Operation value must be a string".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.model import Issue, Project

EDITABLE = {"summary", "description", "priority", "components", "fixVersions", "labels", "assignee"}
CREATABLE = EDITABLE | {"project", "issuetype", "reporter"}


class FieldErrors(Exception):
    """A 400 with per-field messages (and optionally top-level messages)."""

    def __init__(self, errors: dict[str, str], messages: list[str] | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.messages = messages or []


def _ref(value: Any) -> tuple[str, str] | None:
    """(`id` | `name` | `key`, value) from `{"id": ...}` / `{"name": ...}` / `{"key": ...}`."""
    if isinstance(value, dict):
        for attr in ("id", "key", "name"):
            if value.get(attr) not in (None, ""):
                return attr, str(value[attr])
    return None


def resolve_context(catalog: JiraCatalog, fields: dict[str, Any]) -> tuple[Project, str]:
    """The project and issue type id of a create request, or FieldErrors."""
    errors: dict[str, str] = {}
    raw = fields.get("project")
    ref = ("key", raw) if isinstance(raw, str) else _ref(raw)
    project = catalog.project(ref[1]) if ref else None
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    type_ref = ("name", fields["issuetype"]) if isinstance(fields.get("issuetype"), str) else None
    type_ref = type_ref or _ref(fields.get("issuetype"))
    type_id = None
    if type_ref is None:
        errors["issuetype"] = "Specify an issue type"
    else:
        type_id = catalog.by_name(catalog.issue_types, type_ref[1])
        if project is not None and type_id not in project.issue_types:
            type_id = None
        if type_id is None:
            errors["issuetype"] = "The issue type selected is invalid."
    if errors or project is None or type_id is None:
        raise FieldErrors(errors)
    return project, type_id


def resolve_values(
    catalog: JiraCatalog,
    project: Project,
    fields: dict[str, Any],
    *,
    allowed: set[str],
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Validate settable fields; return Issue attribute values, or raise FieldErrors."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("project", "issuetype"):
            continue
        if name not in allowed and name not in catalog.custom_fields:
            errors[name] = (
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            )
            continue
        try:
            _one(catalog, project, name, value, values)
        except ValueError as err:
            errors[name] = str(err)
    for name in required:
        if name not in errors and _empty(fields.get(name)):
            errors[name] = (
                "You must specify a summary of the issue."
                if name == "summary"
                else f"{catalog.field_name(name)} is required."
            )
    if errors:
        raise FieldErrors(errors)
    return values


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _one(
    catalog: JiraCatalog, project: Project, name: str, value: Any, out: dict[str, Any]
) -> None:
    """Validate one field value into `out` (Issue attribute names); ValueError on a bad value."""
    if name == "summary":
        if value is None:
            return
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")
        if "\n" in value or "\r" in value:
            raise ValueError("The summary is invalid because it contains newline characters.")
        if len(value) > 255:
            raise ValueError("Summary must be less than 255 characters.")
        if value.strip():
            out["summary"] = value
    elif name == "description":
        if value is not None and not isinstance(value, str):
            raise ValueError("Operation value must be a string")
        out["description"] = value
    elif name == "priority":
        ref = _ref(value)
        if ref is None:
            raise ValueError("Specify the Priority (id or name) in the string format")
        pid = catalog.by_name(catalog.priorities, ref[1])
        if pid is None:
            if ref[0] == "id":
                raise ValueError(f"Priority with id '{ref[1]}' does not exist")
            raise ValueError(f"Priority name '{ref[1]}' is not valid")
        out["priority"] = pid
    elif name in ("components", "fixVersions"):
        table = project.components if name == "components" else project.versions
        noun = "Component" if name == "components" else "Version"
        if not isinstance(value, list):
            raise ValueError("data was not an array")
        ids: list[str] = []
        for item in value:
            ref = _ref(item)
            found = catalog.by_name(table, ref[1]) if ref else None
            if found is None:
                shown = ref[1] if ref else item
                if ref is not None and ref[0] == "id":
                    raise ValueError(f"{noun} with id '{shown}' does not exist.")
                raise ValueError(f"{noun} name '{shown}' is not valid")
            if found not in ids:
                ids.append(found)
        out["components" if name == "components" else "fix_versions"] = ids
    elif name == "labels":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("data was not an array")
        for label in value:
            if " " in label:
                raise ValueError(f"The label '{label}' contains spaces which is invalid.")
        out["labels"] = list(dict.fromkeys(value))
    elif name in ("assignee", "reporter"):
        out[name] = _user(catalog, value)
    else:
        out.setdefault("custom", {})[name] = value


def _user(catalog: JiraCatalog, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not (value.get("accountId") or value.get("name")):
        raise ValueError("Specify a valid value for the user (accountId)")
    if value.get("accountId"):
        name = catalog.user_names.get(value["accountId"], value["accountId"])
    else:
        name = value["name"]
    return catalog.user_json(name)


def apply_labels_update(issue: Issue, ops: Any) -> list[str]:
    """Apply an edit's `update.labels` operations (`add`/`remove`/`set`); return new labels."""
    labels = list(issue.labels)
    if not isinstance(ops, list):
        raise FieldErrors({"labels": "data was not an array"})
    for op in ops:
        for verb, label in (op or {}).items():
            if verb == "add" and label not in labels:
                labels.append(label)
            elif verb == "remove" and label in labels:
                labels.remove(label)
            elif verb == "set":
                labels = list(label)
    return labels
