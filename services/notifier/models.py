"""Request bodies of the notifier API."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class SubscribeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=254)
    # Empty means every section.
    sections: list[str] = Field(default_factory=list, max_length=50)
    language: Literal["vi", "en"] = "vi"
