"""``/v1/webhooks`` on the upload API: create, list and delete outbound webhook
subscriptions with an API key (``read`` scope: the key's source's documents; an ``admin``
key: every document). Mounted by ``connectors.capture.http.create_app`` (one line)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from fastapi import Depends, FastAPI, Response
from pydantic import BaseModel, Field

from connectors.webhooks_out import EVENT_TYPES, WebhookError
from connectors.webhooks_out.subscriptions import Subscriptions, check_url

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["register_webhook_routes"]


class NewSubscription(BaseModel):
    url: str = Field(..., max_length=2048, description="https URL that receives the signed POSTs.")
    events: list[str] = Field(..., min_length=1, max_length=len(EVENT_TYPES),
                              description=f"Some of {', '.join(EVENT_TYPES)}.")


class SubscriptionInfo(BaseModel):
    id: str
    url: str
    events: list[str]
    all_documents: bool
    created_at: float


class CreatedSubscription(SubscriptionInfo):
    secret: str = Field(..., description="whsec_ secret to verify the signatures; shown this once.")


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionInfo]


def register_webhook_routes(app: FastAPI, *, settings: Settings, subscriptions: Callable[[], Subscriptions],
                            key_with: Callable[[str], Callable], refused: Callable[[int, str, str], Exception]) -> None:
    errors: dict[int | str, dict[str, Any]] = {c: {"description": "refused; body {reason, detail}"} for c in (401, 403, 404, 422)}
    cfg = settings.webhooks_out

    @app.post("/v1/webhooks", status_code=201, response_model=CreatedSubscription, responses=errors,
              tags=["webhooks"])
    def create(body: NewSubscription, key=Depends(key_with("read"))) -> CreatedSubscription:
        """Subscribe a URL to event types; events are signed per Standard Webhooks v1."""
        try:
            url = check_url(body.url, allow_http=cfg.allow_http, allow_private=cfg.allow_private)
            sub = subscriptions().create(key.source, url, body.events, all_documents=key.allows("admin"),
                                         created_by=key.id)
        except WebhookError as exc:
            raise refused(422, "invalid_subscription", str(exc)) from exc
        return CreatedSubscription(**sub.public(), secret=sub.secret)

    @app.get("/v1/webhooks", response_model=SubscriptionList, responses=errors, tags=["webhooks"])
    def list_(key=Depends(key_with("read"))) -> SubscriptionList:
        """This key's source's subscriptions (never their secrets)."""
        return SubscriptionList(subscriptions=[SubscriptionInfo(**s.public())
                                               for s in subscriptions().list(key.source)])

    @app.delete("/v1/webhooks/{sub_id}", status_code=204, responses=errors, tags=["webhooks"])
    def delete(sub_id: str, key=Depends(key_with("read"))) -> Response:
        """Delete a subscription; jobs already queued for it are dropped, not sent."""
        if not subscriptions().delete(key.source, sub_id, admin=key.allows("admin")):
            raise refused(404, "not_found", f"no subscription {sub_id}")
        return Response(status_code=204)
