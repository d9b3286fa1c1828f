"""``/v1/alerts/...``: alert rules and budgets (create, list, delete), their history and
the webhook delivery log (`agenttrace.server.store.alerts`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from agenttrace.server._json_body import body_schema, json_body
from agenttrace.server.dependencies import ProjectDep, StoreDep
from agenttrace.server.store.alert_models import (
    AlertDeliveryList,
    AlertEventList,
    AlertRuleIn,
    AlertRuleList,
    CreatedAlertRule,
)
from agenttrace.server.store.alerts import SqlAlertStore
from agenttrace.server.store.base import Store

__all__ = ["router"]

router = APIRouter(tags=["alerts"])

_Limit = Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")]


def _alerts(store: Store) -> SqlAlertStore:
    alerts = getattr(store, "alert_store", None)
    if not callable(alerts):
        raise HTTPException(status_code=503, detail="this collector's store keeps no alerts")
    found: SqlAlertStore = alerts()
    return found


@router.post(
    "/v1/alerts/rules",
    response_model=CreatedAlertRule,
    status_code=201,
    summary="Create an alert rule or budget",
    responses={413: {"description": "A body over the collector's size limit"}},
    openapi_extra=body_schema(AlertRuleIn),
)
async def create_rule(request: Request, store: StoreDep, project_id: ProjectDep) -> Any:
    """A rule (a metric over ``window_s`` seconds) or a budget (cost over the current UTC
    ``period``). The answer holds ``webhook_secret``, shown this once: deliveries to
    ``webhook_url`` are signed with it (see the README's "Alerts")."""
    spec = await json_body(request, AlertRuleIn)
    return await run_in_threadpool(_alerts(store).create_rule, project_id, spec)


@router.get("/v1/alerts/rules", response_model=AlertRuleList, summary="Alert rules")
def list_rules(store: StoreDep, project_id: ProjectDep) -> AlertRuleList:
    """The project's rules and budgets with their state (ok or firing) and last value."""
    return AlertRuleList(rules=_alerts(store).list_rules(project_id))


@router.delete(
    "/v1/alerts/rules/{rule_id}",
    status_code=204,
    summary="Delete an alert rule",
    responses={404: {"description": "No such rule in this project"}},
)
def delete_rule(
    store: StoreDep,
    project_id: ProjectDep,
    rule_id: Annotated[str, Path(max_length=100)],
) -> Response:
    """Delete a rule; its history stays."""
    if not _alerts(store).delete_rule(project_id, rule_id):
        raise HTTPException(
            status_code=404,
            detail=f"there is no alert rule {rule_id!r}; list them with GET /v1/alerts/rules",
        )
    return Response(status_code=204)


@router.get("/v1/alerts/events", response_model=AlertEventList, summary="Alert history")
def list_events(store: StoreDep, project_id: ProjectDep, limit: _Limit = 100) -> AlertEventList:
    """Rules that started firing or resolved, newest first."""
    return AlertEventList(events=_alerts(store).events(project_id, limit))


@router.get(
    "/v1/alerts/deliveries", response_model=AlertDeliveryList, summary="Webhook delivery log"
)
def list_deliveries(
    store: StoreDep, project_id: ProjectDep, limit: _Limit = 100
) -> AlertDeliveryList:
    """Each event's webhook: pending (with its next attempt), delivered or failed, its
    attempts and last error."""
    return AlertDeliveryList(deliveries=_alerts(store).deliveries(project_id, limit))
