"""Server settings for test apps: views computed when a test asks for them, never in the background, so
an app's background work does not take the two cores from the tests running beside it (the background
computation itself is tested in test_precompute.py)."""

from cxgap.config import ServerSettings

ON_DEMAND = ServerSettings(precompute=False)
