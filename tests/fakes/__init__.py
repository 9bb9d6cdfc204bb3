"""Fakes of outside services that run for real on the test machine (a Graph API emulator)."""

from tests.fakes.graph_api import GraphEmulator, LoggedRequest, UploadedFile
from tests.fakes.graph_errors import GraphError
from tests.fakes.graph_model import DEFAULT_SCOPES, appsecret_proof

__all__ = [
    "DEFAULT_SCOPES",
    "GraphEmulator",
    "GraphError",
    "LoggedRequest",
    "UploadedFile",
    "appsecret_proof",
]
