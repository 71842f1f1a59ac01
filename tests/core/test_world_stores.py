"""World.store creates an app's store on first use; World.existing_store never does."""

from datetime import UTC, datetime

import pytest

import workgym  # noqa: F401  (registers the apps)
from workgym.apps.crm import CrmSite, CrmStore
from workgym.apps.shop import ShopStore
from workgym.core import WorldTemplate

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _world(tmp_path, **stores):
    return WorldTemplate(now=NOW, stores=stores).materialize(tmp_path / "ws")


def test_existing_store_leaves_a_world_without_one_as_it_was(tmp_path):
    world = _world(tmp_path)
    assert world.existing_store("crm", CrmStore) is None
    assert world.stores == {}
    created = world.store("crm", CrmStore)
    assert world.stores == {"crm": created}
    assert world.existing_store("crm", CrmStore) is created


def test_a_store_of_another_kind_is_refused_by_both(tmp_path):
    world = _world(tmp_path, crm=ShopStore())
    for get in (world.store, world.existing_store):
        with pytest.raises(TypeError, match="store 'crm' is a ShopStore, not CrmStore"):
            get("crm", CrmStore)


def test_a_site_serves_only_a_store_the_world_has(tmp_path):
    bare = CrmSite(_world(tmp_path / "a"), "crm.example")
    with pytest.raises(KeyError, match="no 'crm' store"):
        bare.served_store(CrmStore)
    assert bare.world.stores == {}
    world = _world(tmp_path / "b", crm=CrmStore())
    assert CrmSite(world, "crm.example").store is world.stores["crm"]
