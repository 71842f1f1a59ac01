"""validation_message: pydantic's refusals as one line of reasons."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from workgym.core import validation_message


class Sampling(BaseModel):
    temperature: float = Field(ge=0)


class Request(BaseModel):
    sampling: Sampling
    name: str

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value

    @model_validator(mode="after")
    def _not_both(self) -> Request:
        if self.name == "cold" and self.sampling.temperature > 0:
            raise ValueError("a cold request samples greedily")
        return self


def _refusal(**values: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate(values)
    return caught.value


def test_each_reason_follows_the_path_of_its_field():
    exc = _refusal(sampling={"temperature": -1}, name=" ")
    assert validation_message(exc) == (
        "sampling.temperature: Input should be greater than or equal to 0; "
        "name: name must not be blank")


def test_a_refusal_of_the_whole_value_is_placed_at_body():
    exc = _refusal(sampling={"temperature": 0.5}, name="cold")
    assert validation_message(exc) == "body: a cold request samples greedily"


def test_the_reasons_alone_carry_no_header_link_or_prefix():
    exc = _refusal(sampling={"temperature": -1}, name=" ")
    text = validation_message(exc, where=False)
    assert text == "Input should be greater than or equal to 0; name must not be blank"
    assert "validation error" not in text and "Value error" not in text
