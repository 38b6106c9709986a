"""Metadata endpoints of the Jira simulator: server info, user, projects, statuses, fields.

`serverInfo` answers `deploymentType: "Cloud"` (the jira library's `_is_cloud` test) and
`versionNumbers` (which its constructor requires). Only an administrator may list the site's
application links (`/rest/applinks/latest/listApplicationlinks`, which the library's
`add_remote_link` asks first). Statuses carry their category; the category set is Jira's fixed
one: 1 `undefined`, 2 `new`, 4 `indeterminate`, 3 `done`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.simulators.base import SimError, SimRequest, SimResponse
from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.fields import CREATABLE
from integrations.simulators.jira.model import FIELDS, Project, jira_time
from integrations.simulators.jira.search import error


class JiraMeta:
    """Read-only catalog handlers, mixed into JiraSimulator."""

    catalog: JiraCatalog
    clock: Callable[[], float]
    lock: Any
    url: str
    admin: bool
    api_user: Callable[[], dict[str, Any]]

    def _project(self, ref: str) -> Project:
        project = self.catalog.project(ref)
        if project is None:
            raise SimError(error(404, [f"No project could be found with key '{ref}'."]))
        return project

    def _server_info(self, request: SimRequest) -> SimResponse:
        return SimResponse(
            200,
            {
                "baseUrl": self.url,
                "displayUrl": self.url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100280,
                "buildDate": "2025-01-01T00:00:00.000+0000",
                "serverTime": jira_time(self.clock()),
                "scmInfo": "simulator",
                "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"},
                "serverTimeZone": "Etc/UTC",
            },
        )

    def _myself(self, request: SimRequest) -> SimResponse:
        user = self.api_user()
        user.update(
            locale="en_US",
            groups={"size": 1, "items": []},
            applicationRoles={"size": 1, "items": []},
        )
        return SimResponse(200, user)

    def _projects(self, request: SimRequest) -> SimResponse:
        with self.lock:
            return SimResponse(
                200, [self.catalog.project_json(p) for p in self.catalog.projects.values()]
            )

    def _project_get(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            return SimResponse(200, self.catalog.project_json(project, full=True))

    def _project_components(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            return SimResponse(
                200, [self.catalog.component_json(project, c) for c in project.components]
            )

    def _project_versions(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            return SimResponse(
                200, [self.catalog.version_json(project, v) for v in project.versions]
            )

    def _project_statuses(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            statuses = [self.catalog.status_json(s) for s in self.catalog.statuses.values()]
            return SimResponse(
                200,
                [
                    {
                        **self.catalog.named_json("issuetype", t, self.catalog.issue_types[t]),
                        "statuses": statuses,
                    }
                    for t in project.issue_types
                ],
            )

    def _named_list(self, kind: str) -> Callable[[SimRequest], SimResponse]:
        def handler(request: SimRequest) -> SimResponse:
            table = {
                "priority": self.catalog.priorities,
                "issuetype": self.catalog.issue_types,
                "resolution": self.catalog.resolutions,
            }[kind]
            with self.lock:
                return SimResponse(
                    200, [self.catalog.named_json(kind, k, v) for k, v in table.items()]
                )

        return handler

    def _statuses(self, request: SimRequest) -> SimResponse:
        with self.lock:
            return SimResponse(
                200, [self.catalog.status_json(s) for s in self.catalog.statuses.values()]
            )

    def _status_categories(self, request: SimRequest) -> SimResponse:
        with self.lock:
            keys = ("undefined", "new", "indeterminate", "done")
            return SimResponse(200, [self.catalog.category_json(k) for k in keys])

    def _fields(self, request: SimRequest) -> SimResponse:
        rows = [
            {"id": fid, "key": fid, "name": name, "custom": False, "orderable": fid != "issuekey",
             "navigable": nav, "searchable": True, "clauseNames": clauses}
            for fid, (name, clauses, nav) in FIELDS.items()
        ]  # fmt: skip
        rows += [
            {"id": fid, "key": fid, "name": name, "custom": True, "orderable": True,
             "navigable": True, "searchable": True,
             "clauseNames": [f"cf[{fid.rsplit('_', 1)[-1]}]", name]}
            for fid, name in self.catalog.custom_fields.items()
        ]  # fmt: skip
        return SimResponse(200, rows)

    def _createmeta_types(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            types = [
                self.catalog.named_json("issuetype", t, self.catalog.issue_types[t])
                for t in project.issue_types
            ]
            return SimResponse(
                200, {"issueTypes": types, "maxResults": 50, "startAt": 0, "total": len(types)}
            )

    def _createmeta_fields(self, request: SimRequest) -> SimResponse:
        with self.lock:
            project = self._project(request.path_args["key"])
            required = {"summary", "issuetype", "project", "reporter"} | project.required_fields
            names = sorted(CREATABLE | set(self.catalog.custom_fields))
            fields = [
                {"required": name in required, "name": self.catalog.field_name(name), "key": name,
                 "fieldId": name, "hasDefaultValue": name == "priority", "operations": ["set"]}
                for name in names
            ]  # fmt: skip
            return SimResponse(
                200, {"fields": fields, "maxResults": 50, "startAt": 0, "total": len(fields)}
            )

    def _applinks(self, request: SimRequest) -> SimResponse:
        # "You must be a Jira Cloud administrator" to see app links (support.atlassian.com/
        # jira-cloud-administration/docs/view-and-edit-app-links-in-AGC/). Atlassian's REST
        # plugins refuse anyone else through atlassian-rest's admin-only filter: 403 with a
        # `{"status-code", "message"}` body (some sites answer 401, github.com/pycontribs/jira
        # issues 812 and pull 79, which is why the library only warns when it fails).
        if not self.admin:
            message = "Client must be authenticated as an administrator to access this resource."
            return SimResponse(403, {"status-code": 403, "message": message})
        return SimResponse(200, {"list": []})
