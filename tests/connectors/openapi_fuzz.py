"""schemathesis over an app's own OpenAPI document, in process (ASGI), for the HTTP fuzz
tests of the upload API and the webhook gateway."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

__all__ = ["fuzz_every_operation"]

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def fuzz_every_operation(schema, header_sets) -> list[str]:
    """Runs each operation's generated cases; returns the operations exercised. (The
    schemathesis pytest plugin is not used: its fixture loader predates pytest 9.)"""
    seen = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case):
            for headers in header_sets:
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
                assert "Traceback" not in response.text and 'File "/' not in response.text

        run()
    return seen
