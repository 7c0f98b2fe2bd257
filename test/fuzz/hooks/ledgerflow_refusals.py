"""Schemathesis hook: a schema-valid request may be refused only for a rule no schema can state.

The run allows 400 on the operations that have such rules (see UNSTATABLE in openapi-fuzz.test.ts);
this check then holds every such 400 to the answer's own `code` and `param`: a refusal is accepted
only when it names one of the operation's unstatable rules, so any other 400 on those operations
still fails the run as a valid request refused.
"""
import json
import os

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

# {"createPayment": ["invalid_source source", ...]}: "<code> <param>" pairs, or a code alone.
ALLOWED = json.loads(os.environ.get("LEDGERFLOW_UNSTATABLE_REFUSALS", "{}"))


@schemathesis.check
def refused_only_for_unstatable_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    if response.status_code not in (400, 422):
        return None
    operation_id = (case.operation.definition.raw or {}).get("operationId")
    allowed = ALLOWED.get(operation_id)
    if allowed is None:
        # Not an operation with unstatable rules: positive_data_acceptance already failed it.
        return None
    try:
        body = response.json()
    except Exception:
        body = {}
    code, param = body.get("code"), body.get("param")
    if code in allowed or f"{code} {param}" in allowed:
        return None
    raise AssertionError(
        f"A schema-valid request was refused with {response.status_code} {code} ({param}), which is not one of "
        f"{operation_id}'s rules that no schema can state: {', '.join(allowed)}"
    )
