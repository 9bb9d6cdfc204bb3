"""Started by Python in the processes the tests launch when tests/clock is on PYTHONPATH.

It moves their clock as tests/conftest.py moved the test session's (PUBLISHER_TEST_CLOCK).
"""

import travelled_clock

travelled_clock.travel_from_env()
