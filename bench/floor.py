"""Floors: the same rows the endpoints return, fetched with raw psycopg and dumped to JSON."""

from __future__ import annotations

import json
from datetime import datetime

ELIGIBLE_SQL = """
SELECT m.employee_id, u.display_name, tm.name, g.code, c.id, c.valid_from, c.valid_until
  FROM certification_certification c
  JOIN certification_skillgroup g ON g.id = c.skill_group_id
  JOIN tenants_membership m ON m.id = c.membership_id
  JOIN tenants_user u ON u.id = m.user_id
  LEFT JOIN tenants_team tm ON tm.id = m.team_id
 WHERE c.tenant_id = %(t)s AND g.tenant_id = %(t)s AND g.code = %(code)s
   AND c.status = 'active' AND c.valid_from <= %(start)s AND c.valid_until >= %(end)s
   AND m.active
 ORDER BY m.employee_id, c.valid_until DESC, c.id
"""


def eligible_json(raw_conn, *, tenant_id: int, code: str, start: datetime, end: datetime) -> bytes:
    """Fetch the eligible agents with one raw psycopg query and serialise them."""
    with raw_conn.cursor() as cur:
        cur.execute(ELIGIBLE_SQL, {"t": tenant_id, "code": code, "start": start, "end": end})
        rows = cur.fetchall()
    seen: set[str] = set()
    results = []
    for employee_id, name, team, group, cert_id, valid_from, valid_until in rows:
        if employee_id in seen:
            continue
        seen.add(employee_id)
        results.append(
            {
                "employee_id": employee_id,
                "name": name,
                "team": team,
                "skill_group": group,
                "certification_id": cert_id,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
            }
        )
    return json.dumps({"count": len(results), "results": results}).encode()
