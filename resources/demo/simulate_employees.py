"""Simulate the bundled demo HR table (``resources/demo/employees.csv``).

Doppel ships a demo table so a new user can try the app without loading any
real (sensitive) data. The table is *simulated*, not anonymised: no row
describes a real person. It is simulated from a small causal story (see
``README.md`` next to this file) so that the relationships a synthesiser is
supposed to preserve -- pay rising with level and tenure, overtime and low pay
driving attrition, and so on -- really are in the data and can be checked.

Everything is driven by one seed: the same ``(n_rows, seed)`` always gives the
same table (for the same numpy/pandas/Faker versions), which is what lets the
test suite check that the shipped CSV matches this script.

Usage::

    python resources/demo/simulate_employees.py [--rows N] [--seed S] [--out PATH]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

DEFAULT_ROWS = 2000
DEFAULT_SEED = 7
DEFAULT_OUT = Path(__file__).with_name("employees.csv")

#: The snapshot date: "today" for current employees' tenure.
REFERENCE_DATE = pd.Timestamp("2025-06-30")
HIRE_START = pd.Timestamp("2005-01-01")
HIRE_END = pd.Timestamp("2024-12-31")

COLUMNS = [
    "employee_id", "full_name", "email", "department", "job_role", "job_level",
    "gender", "age", "hire_date", "termination_date", "tenure_years", "salary",
    "bonus_pct", "overtime", "weekly_hours", "satisfaction",
    "performance_rating", "remote", "attrition",
]

# department -> (share of headcount, base salary at level 1, P(overtime), P(remote))
# Unequal sizes on purpose: real org charts are lopsided, and a synthesiser
# should keep the small departments small.
DEPARTMENTS: dict[str, tuple[float, int, float, float]] = {
    "Sales":       (0.24, 52_000, 0.38, 0.25),
    "Engineering": (0.22, 78_000, 0.30, 0.55),
    "Support":     (0.17, 42_000, 0.34, 0.40),
    "Operations":  (0.14, 48_000, 0.28, 0.10),
    "Marketing":   (0.10, 55_000, 0.20, 0.45),
    "Finance":     (0.08, 62_000, 0.22, 0.30),
    "HR":          (0.05, 50_000, 0.15, 0.35),
}

# department -> {role: (share within department, lowest level, highest level)}
# Roles bound the level so that a "Sales Director" is never level 1.
ROLES: dict[str, dict[str, tuple[float, int, int]]] = {
    "Sales": {"Sales Representative": (0.60, 1, 3), "Account Executive": (0.30, 2, 4),
              "Sales Director": (0.10, 4, 5)},
    "Engineering": {"Software Engineer": (0.55, 1, 4), "Data Scientist": (0.20, 2, 4),
                    "QA Engineer": (0.15, 1, 3), "Engineering Manager": (0.10, 4, 5)},
    "Support": {"Support Agent": (0.75, 1, 3), "Support Team Lead": (0.25, 3, 4)},
    "Operations": {"Operations Analyst": (0.50, 1, 3), "Logistics Coordinator": (0.35, 1, 3),
                   "Operations Manager": (0.15, 3, 5)},
    "Marketing": {"Marketing Specialist": (0.65, 1, 3), "Marketing Manager": (0.35, 3, 5)},
    "Finance": {"Accountant": (0.55, 1, 3), "Financial Analyst": (0.30, 2, 4),
                "Finance Manager": (0.15, 4, 5)},
    "HR": {"HR Generalist": (0.55, 1, 3), "Recruiter": (0.30, 1, 3),
           "HR Business Partner": (0.15, 3, 5)},
}

#: Exactly one row gets this role, so tests can check that a category held by
#: a single person never leaks into synthetic output.
UNIQUE_ROLE = ("Engineering", "Chief Data Officer")

GENDERS = ["Female", "Male", "Non-binary"]
GENDER_P = [0.48, 0.49, 0.03]


def _clip_int(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(x), lo, hi).astype(int)


def _likert(latent: np.ndarray) -> np.ndarray:
    """Map a continuous latent score onto a 1-5 rating scale."""
    return _clip_int(latent, 1, 5)


def _names(fake: Faker, genders: np.ndarray) -> tuple[list[str], list[str]]:
    """Gender-consistent names, and unique first.last@example.com emails."""
    first_by_gender = {"Female": fake.first_name_female, "Male": fake.first_name_male,
                       "Non-binary": fake.first_name_nonbinary}
    names, emails, seen = [], [], {}
    for g in genders:
        first, last = first_by_gender[g](), fake.last_name()
        names.append(f"{first} {last}")
        local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
        seen[local] = seen.get(local, 0) + 1
        # Namesakes are common at this size; a numeric suffix keeps emails unique.
        suffix = "" if seen[local] == 1 else str(seen[local])
        emails.append(f"{local}{suffix}@example.com")
    return names, emails


def simulate(n_rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Simulate ``n_rows`` employees, deterministically from ``seed``.

    The order of the steps below is the causal order: each column is drawn
    only from columns above it plus fresh noise.
    """
    rng = np.random.default_rng(seed)
    n = n_rows

    # 1. Who: department, role within department, gender.
    depts = list(DEPARTMENTS)
    dept = rng.choice(depts, size=n, p=[DEPARTMENTS[d][0] for d in depts])
    role = np.empty(n, dtype=object)
    role_lo, role_hi = np.empty(n, dtype=int), np.empty(n, dtype=int)
    for d in depts:
        idx = np.flatnonzero(dept == d)
        names = list(ROLES[d])
        pick = rng.choice(len(names), size=idx.size, p=[ROLES[d][r][0] for r in names])
        role[idx] = [names[k] for k in pick]
        role_lo[idx] = [ROLES[d][names[k]][1] for k in pick]
        role_hi[idx] = [ROLES[d][names[k]][2] for k in pick]
    gender = rng.choice(GENDERS, size=n, p=GENDER_P)

    # 2. When: the company grew, so recent years hire more (weight rises ~8%/yr).
    span = (HIRE_END - HIRE_START).days
    u = rng.random(n)
    growth = 0.08 * span / 365.25
    offset = np.log1p(u * np.expm1(growth)) / growth * span  # inverse CDF of exp growth
    hire = HIRE_START + pd.to_timedelta(np.floor(offset), unit="D")
    exposure = (REFERENCE_DATE - hire).days.to_numpy() / 365.25

    # 3. Working conditions, fixed at hire: overtime and remote depend on the
    #    department; pay relative to level-peers is a log-normal draw.
    overtime = rng.random(n) < np.array([DEPARTMENTS[d][2] for d in dept])
    remote = rng.random(n) < np.array([DEPARTMENTS[d][3] for d in dept])
    pay_gap = rng.normal(0.0, 0.12, n)  # log(salary / expected salary for the job)

    # 4. Satisfaction follows the conditions: overtime hurts, fair pay and
    #    remote work help.
    sat_latent = 3.4 - 0.8 * overtime + 4.0 * pay_gap + 0.3 * remote + rng.normal(0, 0.8, n)
    satisfaction = _likert(sat_latent)

    # 5. Attrition: a latent time-to-exit from a Weibull with shape < 1, i.e. a
    #    falling hazard -- the first years are the riskiest. Low satisfaction,
    #    overtime and being underpaid for the level all raise the hazard
    #    (proportional hazards). Whoever's exit falls before the snapshot left.
    risk = np.exp(0.55 * (3 - satisfaction) + 0.8 * overtime - 4.0 * pay_gap)
    shape, scale = 0.7, 130.0
    time_to_exit = scale * (rng.exponential(1.0, n) / risk) ** (1 / shape)
    time_to_exit = np.maximum(time_to_exit, 30 / 365.25)  # nobody leaves within a month
    left = time_to_exit < exposure
    term = hire + pd.to_timedelta(np.where(left, np.floor(time_to_exit * 365.25), 0), unit="D")
    end = term.where(left, REFERENCE_DATE)
    tenure = (end - hire).days.to_numpy() / 365.25

    # 6. Career: experience before hiring plus tenure lifts the level, within
    #    the bounds of the role. Age is age at hire plus tenure.
    prior_exp = rng.gamma(2.0, 4.0, n)
    level = _clip_int(0.3 + (prior_exp + tenure) / 6 + rng.normal(0, 0.8, n), 1, 5)
    level = np.clip(level, role_lo, role_hi)
    # The one Chief Data Officer: a current, senior Engineering employee.
    cand = np.flatnonzero((dept == UNIQUE_ROLE[0]) & ~left & (tenure > 8))
    cdo = rng.choice(cand) if cand.size else 0  # fallback only for tiny n_rows
    dept[cdo], role[cdo], level[cdo] = UNIQUE_ROLE[0], UNIQUE_ROLE[1], 5
    hire_age = 22 + prior_exp + rng.normal(0, 1.5, n)
    hire_age = np.clip(hire_age, 21, 65 - tenure)
    age = np.floor(hire_age + tenure).astype(int)

    # 7. Pay: department base x level step x ~2%/yr of tenure x the pay gap.
    base = np.array([DEPARTMENTS[d][1] for d in dept])
    expected = base * 1.28 ** (level - 1) * (1 + 0.02 * tenure)
    salary = (np.rint(expected * np.exp(pay_gap) / 100) * 100).astype(int)

    # 8. Hours: overtime means a long week.
    hours = np.where(overtime, rng.normal(49, 4, n), rng.normal(39.5, 1.8, n))
    weekly_hours = _clip_int(hours, 35, 60)

    # 9. Performance: a little higher with level and satisfaction.
    perf = _likert(2.6 + 0.15 * level + 0.2 * (satisfaction - 3) + rng.normal(0, 0.8, n))

    # 10. Bonus target: grows with level, Sales is commission-heavy,
    #     good performers get more.
    bonus = 2.0 + 2.0 * level + 4.0 * (dept == "Sales") + 1.0 * (perf - 3) + rng.normal(0, 1.5, n)
    bonus = np.round(np.clip(bonus, 0, 30), 1)

    # 11. Missingness, each with a reason: bonus not yet set (more often for
    #     new hires), no review yet (hired < 1 year before the end), skipped
    #     the engagement survey.
    bonus_missing = rng.random(n) < np.where(tenure < 1, 0.20, 0.03)
    perf_missing = (tenure < 1) & (rng.random(n) < 0.3) | (rng.random(n) < 0.01)
    sat_missing = rng.random(n) < 0.04
    for m in (bonus_missing, perf_missing, sat_missing):
        m[cdo] = False

    names, emails = _names(_seeded_faker(seed), gender)

    df = pd.DataFrame({
        "full_name": names,
        "email": emails,
        "department": dept,
        "job_role": role.astype(str),
        "job_level": level,
        "gender": gender,
        "age": age,
        "hire_date": hire.strftime("%Y-%m-%d"),
        "termination_date": np.where(left, term.strftime("%Y-%m-%d"), None),
        "tenure_years": np.round(tenure, 1),
        "salary": salary,
        "bonus_pct": np.where(bonus_missing, np.nan, bonus),
        "overtime": np.where(overtime, "Yes", "No"),
        "weekly_hours": weekly_hours,
        "satisfaction": pd.array(np.where(sat_missing, None, satisfaction), dtype="Int64"),
        "performance_rating": pd.array(np.where(perf_missing, None, perf), dtype="Int64"),
        "remote": remote,
        "attrition": np.where(left, "Yes", "No"),
    })
    # IDs follow hiring order, as an HR system would issue them.
    df = df.assign(_hire=hire).sort_values("_hire", kind="stable").drop(columns="_hire")
    df.insert(0, "employee_id", [f"E{i:05d}" for i in range(1, n + 1)])
    return df.reset_index(drop=True)[COLUMNS]


def _seeded_faker(seed: int) -> Faker:
    """A private, seeded Faker so names never depend on global random state."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def write_csv(df: pd.DataFrame, path: Path | str) -> None:
    """Write the table the one way the shipped file is written (tests rely on it)."""
    df.to_csv(path, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    df = simulate(args.rows, args.seed)
    write_csv(df, args.out)
    print(f"wrote {len(df)} rows to {args.out} "
          f"(attrition {(df['attrition'] == 'Yes').mean():.1%})")


if __name__ == "__main__":
    main()
