"""Bodies of the plan management system's imports: the direct API's bodies, narrowed to what
an import may carry (no attachments: a service client uploads none)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from jiebang_api.api.schema_extras import labels_of, values
from jiebang_api.api.v1.schemas.applications import EXAMPLE_APPLICATION, ApplicationIn
from jiebang_api.api.v1.schemas.listings import (
    EXAMPLE_LISTING,
    EXAMPLE_TRANSFER_LISTING,
    ListingIn,
)
from jiebang_api.listings.enums import ListingKind

NO_ATTACHMENTS = (
    "Attachments are not imported (a service client uploads none): always empty. Files are "
    "added through the direct API by whoever may edit the record then."
)
IMPORTED_KINDS = ("tech_breakthrough", "achievement_transfer")
EXAMPLE_LISTING_IMPORT: JsonDict = EXAMPLE_LISTING
EXAMPLE_APPLICATION_IMPORT: JsonDict = {
    **EXAMPLE_APPLICATION,
    "listing_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
    "consortium_confirmed": True,
}


class ListingImportIn(ListingIn):
    """A listing of an organisation's, as the plan system sends it. Emergency listings are
    the department's own and are not imported."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [EXAMPLE_LISTING_IMPORT, EXAMPLE_TRANSFER_LISTING]}
    )

    kind: Literal["tech_breakthrough", "achievement_transfer"] = Field(  # type: ignore[assignment]
        json_schema_extra=values(labels_of(ListingKind, IMPORTED_KINDS))
    )
    proposer_org_id: uuid.UUID = Field(
        description="The proposing organisation, on whose behalf the listing is created and "
        "submitted (register it first: `PUT /api/v1/integration/organizations/{uscc}`)."
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=0, description=NO_ATTACHMENTS
    )


class ApplicationImportIn(ApplicationIn):
    """An application of an organisation's (alone or leading a consortium), as the plan
    system sends it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_APPLICATION_IMPORT]})

    listing_id: uuid.UUID = Field(description="The published listing applied to.")
    consortium_confirmed: StrictBool = Field(
        False,
        description="The plan system asserts that every member organisation agreed to join "
        "on its budget share (R-APP-MEMBER-CONSENT): each member's acceptance is recorded, "
        "by the service client, with this assertion as its reason. Without it, an application "
        "with members is refused (409 `MEMBERS_NOT_ACCEPTED`).",
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=0, description=NO_ATTACHMENTS
    )

    def data(self) -> dict[str, Any]:
        """The application's own fields, as the direct API's create takes them."""
        values = super().data()
        del values["listing_id"], values["consortium_confirmed"]
        return values
