"""Named rules of community notices (house rule 5).

Publishers are the operational staff of the places residents live in: grid workers, community
workers and leaders, and street officers. Each rule with an object checks the object's area path
(a target ``Area`` or a ``Notice``) against the areas where the actor holds such a role; without an
object it answers "does the actor hold such a role anywhere" (navigation, list pages), and the
selectors then filter by the same roles through ``accounts.scoping.scope_q``."""

from __future__ import annotations

import rules

from linli.accounts.models import Role
from linli.accounts.permissions import is_resident, role_at_area

NOTICE_STAFF = frozenset({Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER, Role.STREET_OFFICER})
PUBLISHERS = NOTICE_STAFF

can_publish_notice = role_at_area("can_publish_notice", PUBLISHERS)
can_view_notices = role_at_area("can_view_notices", NOTICE_STAFF)

# Publish to an area (object: the target Area), correct or withdraw a notice (object: the Notice).
rules.add_perm("notices.publish_notice", can_publish_notice)
rules.add_perm("notices.manage_notice", can_publish_notice)
# Staff lists, read counts per grid and reminders: scoped to the actor's grids by the selectors.
rules.add_perm("notices.view_notices", can_view_notices)
rules.add_perm("notices.view_notice_stats", can_view_notices)
rules.add_perm("notices.remind_unread", can_view_notices)
# Residents: the notices of the places they live in.
rules.add_perm("notices.read_notices", is_resident)
