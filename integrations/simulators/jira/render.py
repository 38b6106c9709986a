"""REST v2 JSON for the Jira simulator's catalog: users, statuses, projects, issues, comments.

Shapes follow the Jira Cloud platform REST API v2 (developer.atlassian.com/cloud/jira/platform/
rest/v2/): ids are strings except `statusCategory.id` and remote-link ids (integers), times are
`yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, and a status carries its category, whose `key`
(`new` / `indeterminate` / `done`) is the stable thing to compare — names are localized.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.simulators.jira.model import (
    CATEGORIES,
    FIELDS,
    Issue,
    Project,
    Status,
    account_id,
    jira_time,
)


class CatalogJson:
    """The catalog's objects as Jira renders them (mixed into JiraCatalog)."""

    _url: Callable[[], str]
    category_names: dict[str, str]
    statuses: dict[str, Status]
    priorities: dict[str, str]
    issue_types: dict[str, str]
    resolutions: dict[str, str]
    custom_fields: dict[str, str]
    user_names: dict[str, str]
    projects: dict[str, Project]

    def field_name(self, field_id: str) -> str:
        """A field's display name."""
        if field_id in FIELDS:
            return FIELDS[field_id][0]
        return self.custom_fields.get(field_id, field_id)

    def _api(self, path: str) -> str:
        return f"{self._url()}/rest/api/2/{path}"

    def user_json(self, name: str, email: str | None = None) -> dict[str, Any]:
        """A Cloud user as Jira embeds it in issues, comments and webhooks."""
        aid = account_id(name)
        self.user_names[aid] = name
        user: dict[str, Any] = {
            "self": self._api(f"user?accountId={aid}"),
            "accountId": aid,
            "avatarUrls": {size: f"{self._url()}/avatar/{aid}?s={size}" for size in _SIZES},
            "displayName": name,
            "active": True,
            "timeZone": "UTC",
            "accountType": "atlassian",
        }
        if email:
            user["emailAddress"] = email
        return user

    def category_json(self, key: str) -> dict[str, Any]:
        """A status category (`statusCategory`)."""
        cid, _, colour = CATEGORIES[key]
        return {
            "self": self._api(f"statuscategory/{cid}"),
            "id": cid,
            "key": key,
            "colorName": colour,
            "name": self.category_names[key],
        }

    def status_json(self, status: Status) -> dict[str, Any]:
        """A status with its category."""
        return {
            "self": self._api(f"status/{status.id}"),
            "description": "",
            "iconUrl": f"{self._url()}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category_json(status.category),
        }

    def named_json(self, kind: str, ident: str, name: str) -> dict[str, Any]:
        """A priority, resolution or issue type."""
        body: dict[str, Any] = {"self": self._api(f"{kind}/{ident}"), "id": ident, "name": name}
        if kind == "priority":
            body["iconUrl"] = f"{self._url()}/images/icons/priorities/{name.lower()}.svg"
        elif kind == "resolution":
            body["description"] = ""
        elif kind == "issuetype":
            body.update(
                description="",
                iconUrl=f"{self._url()}/images/icons/issuetypes/{name.lower()}.svg",
                subtask=False,
                hierarchyLevel=0,
            )
        return body

    def component_json(self, project: Project, cid: str) -> dict[str, Any]:
        """A project component."""
        return {
            "self": self._api(f"component/{cid}"),
            "id": cid,
            "name": project.components[cid],
            "description": "",
            "isAssigneeTypeValid": False,
            "project": project.key,
            "projectId": int(project.id),
        }

    def issue_component_json(self, project: Project, cid: str) -> dict[str, Any]:
        """A component in an issue's `fields.components`: Jira's short ComponentJsonBean."""
        # https://mrrefactoring.github.io/jira.js/interfaces/Version3Models.Component.html
        name = project.components[cid]
        return {"self": self._api(f"component/{cid}"), "id": cid, "name": name, "description": ""}

    def version_json(self, project: Project, vid: str) -> dict[str, Any]:
        """A project version (`fixVersions` entry)."""
        return {
            "self": self._api(f"version/{vid}"),
            "id": vid,
            "name": project.versions[vid],
            "description": "",
            "archived": False,
            "released": False,
            "projectId": int(project.id),
        }

    def project_json(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        """A project; `full` adds what `GET /project/{key}` returns (issue types, components)."""
        body: dict[str, Any] = {
            "self": self._api(f"project/{project.id}"),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {size: f"{self._url()}/avatar/p{project.id}?s={size}" for size in _SIZES},
        }
        if full:
            body["description"] = ""
            body["issueTypes"] = [
                self.named_json("issuetype", t, self.issue_types[t]) for t in project.issue_types
            ]
            body["components"] = [self.component_json(project, c) for c in project.components]
            body["versions"] = [self.version_json(project, v) for v in project.versions]
        return body

    def comment_json(self, issue: Issue, comment: dict[str, Any]) -> dict[str, Any]:
        """A comment as `GET /issue/{key}/comment` lists it."""
        return {
            "self": self._api(f"issue/{issue.id}/comment/{comment['id']}"),
            "id": comment["id"],
            "author": comment["author"],
            "body": comment["body"],
            "updateAuthor": comment["author"],
            "created": jira_time(comment["created"]),
            "updated": jira_time(comment["created"]),
            "jsdPublic": True,
        }

    def remote_link_json(self, issue: Issue, link: dict[str, Any]) -> dict[str, Any]:
        """A remote link as `GET /issue/{key}/remotelink` lists it."""
        body = {"id": link["id"], "self": self._api(f"issue/{issue.key}/remotelink/{link['id']}")}
        body.update({k: v for k, v in link.items() if k != "id" and v is not None})
        return body

    def field_values(self, issue: Issue) -> dict[str, Any]:
        """Every field of an issue, rendered."""
        project = self.projects[issue.project]
        status = self.statuses[issue.status]
        values: dict[str, Any] = {
            "summary": issue.summary,
            "description": issue.description,
            "status": self.status_json(status),
            "statuscategorychangedate": jira_time(issue.status_changed),
            "resolution": None,
            "resolutiondate": None,
            "fixVersions": [self.version_json(project, v) for v in issue.fix_versions],
            "components": [self.issue_component_json(project, c) for c in issue.components],
            "labels": list(issue.labels),
            "priority": None,
            "issuetype": self.named_json(
                "issuetype", issue.issuetype, self.issue_types[issue.issuetype]
            ),
            "project": self.project_json(project),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "reporter": issue.reporter,
            "assignee": issue.assignee,
            "comment": {
                "comments": [self.comment_json(issue, c) for c in issue.comments],
                "self": self._api(f"issue/{issue.id}/comment"),
                "maxResults": len(issue.comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
        }
        if issue.resolution is not None:
            name = self.resolutions[issue.resolution]
            values["resolution"] = self.named_json("resolution", issue.resolution, name)
            values["resolutiondate"] = jira_time(issue.resolutiondate or issue.updated)
        if issue.priority is not None:
            name = self.priorities[issue.priority]
            values["priority"] = self.named_json("priority", issue.priority, name)
        values.update(issue.custom)
        return values

    def issue_json(
        self, issue: Issue, wanted: Callable[[str], bool] | None = None, expand: str = ""
    ) -> dict[str, Any]:
        """An issue; `wanted(field_id)` picks fields (all when None)."""
        values = self.field_values(issue)
        fields = {k: v for k, v in values.items() if wanted is None or wanted(k)}
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(issue.id),
            "self": self._api(f"issue/{issue.id}"),
            "key": issue.key,
            "fields": fields,
        }
        if "names" in expand:
            body["names"] = {k: self.field_name(k) for k in fields}
        if "changelog" in expand:
            histories = list(reversed(issue.histories))
            body["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        return body


_SIZES = ("48x48", "24x24", "16x16", "32x32")


def field_selector(specs: list[str], default: str) -> Callable[[str], bool] | None:
    """Turn `fields` parameters (`*all`, `*navigable`, names, `-name`) into a predicate.

    Returns None for "ids only" (`fields=id`, the `/search/jql` default).
    """
    tokens = [t.strip() for spec in specs for t in spec.split(",") if t.strip()]
    positive = [t for t in tokens if not t.startswith("-")]
    excluded = {t[1:] for t in tokens if t.startswith("-")}
    if not positive:
        positive = [default]
    if positive == ["id"] and not excluded:
        return None
    every = "*all" in positive
    navigable = "*navigable" in positive
    named = set(positive)

    def wanted(field_id: str) -> bool:
        if field_id in excluded:
            return False
        if every or field_id in named:
            return True
        return navigable and FIELDS.get(field_id, ("", [], True))[2]

    return wanted
