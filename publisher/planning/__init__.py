"""Campaign planning: playbooks, templates, recurrence, channel rules, and the planner.

The names exported here are the pure layer: no Flask, no database; dataclasses in and
out; times aware and returned in UTC. The modules that apply a plan to the database
(``service``, ``follow``, ``seeding``, ``drives_csv``, ``calendar``, ``models``) are
imported by their callers, not from here.
"""

from publisher.planning.errors import (
    PlanningError,
    PlaybookInvalid,
    RecurrenceInvalid,
    RulesInvalid,
    TemplateError,
    TemplateInvalid,
    ValidationFailed,
)
from publisher.planning.planner import (
    ChannelTarget,
    DrivePlan,
    PlannedItem,
    PlanNote,
    plan_drive,
    plan_key,
)
from publisher.planning.playbooks import (
    Playbook,
    Step,
    load_playbooks,
    parse_playbook,
    playbook_from_dict,
    playbook_to_dict,
)
from publisher.planning.recurrence import expand_rrule, validate_rrule
from publisher.planning.rules import (
    ChannelRules,
    Conflict,
    ProposedItem,
    check_conflicts,
    next_slot,
    resolve_slot,
    rules_from_dict,
    rules_to_dict,
    step_time,
)
from publisher.planning.templates import (
    CampaignFacts,
    DriveFacts,
    RenderedTemplate,
    Template,
    TemplateContext,
    check_template,
    load_templates,
    render_template,
)
from publisher.planning.vietnamese_dates import (
    LOCAL_TZ,
    format_date_vi,
    format_time_range_vi,
    format_time_vi,
)

__all__ = [
    "LOCAL_TZ",
    "CampaignFacts",
    "ChannelRules",
    "ChannelTarget",
    "Conflict",
    "DriveFacts",
    "DrivePlan",
    "PlanNote",
    "PlannedItem",
    "PlanningError",
    "Playbook",
    "PlaybookInvalid",
    "ProposedItem",
    "RecurrenceInvalid",
    "RenderedTemplate",
    "RulesInvalid",
    "Step",
    "Template",
    "TemplateContext",
    "TemplateError",
    "TemplateInvalid",
    "ValidationFailed",
    "check_conflicts",
    "check_template",
    "expand_rrule",
    "format_date_vi",
    "format_time_range_vi",
    "format_time_vi",
    "load_playbooks",
    "load_templates",
    "next_slot",
    "parse_playbook",
    "plan_drive",
    "plan_key",
    "playbook_from_dict",
    "playbook_to_dict",
    "render_template",
    "resolve_slot",
    "rules_from_dict",
    "rules_to_dict",
    "step_time",
    "validate_rrule",
]
