"""The back office's test world (tests/dossiers), for driving the real actions."""

from tests.dossiers.conftest import (  # noqa: F401  (fixtures)
    agencies,
    citizen,
    fast_password_hashing,
    make_citizen,
    media_in_tmp,
    office,
    province,
    version,
)
from tests.ioc.test_index_api import world  # noqa: F401  (the hand-counted province)
