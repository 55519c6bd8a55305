"""The benchmark's tables: fixed train/holdout splits and the public domains of their columns.

Defined once here so that ``quality.py``, ``peers.py`` and ``small_tables.py`` train every tool
on the same rows and score it on the same untouched holdout. Files are read through the
engine's reader (``engine.io.read_table``), so every tool sees the same cells.

Splits (DESIGN §4):
- ``adult``: the 80/20 split of the whole file (``split_holdout``, split seed 0), as before.
- ``demo``: the bundled demo table, the same 80/20 split (1,600 train / 400 holdout).
- ``hr1500``, ``hr500``, ``adult1000``: a seeded sample of the file
  (``frame.sample(n, random_state=11)``), its holdout ``.sample(frac=0.2, random_state=7)``,
  train the rest — the recipe of issue 15 (1,875 → 1,500 / 375; 625 → 500 / 125; 1,250 → 1,000 / 250).

Public domains (``domain``, ``declared_schema``): what an HR analyst could declare *without looking at the rows* — bounds of
numeric columns, category lists, whether a column may be empty, decimals shown. Every tool
(Doppel and the peers) gets exactly these. Each entry says where it came from.
A domain entry is a dict:
- ``{"type": "categorical", "categories": [...]}``
- ``{"type": "integer" | "continuous" | "date", "min": lo, "max": hi, "decimals": d}``
  (dates as ISO strings)
plus ``"nullable": True`` where the column is documented to have empty cells.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.evaluation import split_holdout
from engine.schema import Kind, Schema, infer_schema
from engine.io import read_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
ADULT_CSV = SHARED / "adult.csv"
HR_CSV = SHARED / "hr_turnover.csv"
DEMO_CSV = ROOT / "resources" / "demo" / "employees.csv"

# name -> (file, target, rows sampled before the 80/20 split; None = the whole file)
TABLES: dict[str, tuple[Path, str, int | None]] = {
    "adult": (ADULT_CSV, "class", None),
    "demo": (DEMO_CSV, "attrition", None),
    "hr1500": (HR_CSV, "left", 1875),
    "hr500": (HR_CSV, "left", 625),
    "adult1000": (ADULT_CSV, "class", 1250),
}
SMALL = ("demo", "hr500", "hr1500", "adult1000")
SAMPLE_SEED, HOLDOUT_SEED = 11, 7


def split(dataset: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Train rows, holdout rows and the target column of a benchmark table (fixed, seeded)."""
    path, target, rows = TABLES[dataset]
    frame = read_table(path).frame
    if rows is None:
        train_idx, holdout_idx = split_holdout(len(frame), seed=0)
        return frame.iloc[train_idx].reset_index(drop=True), frame.iloc[holdout_idx].reset_index(drop=True), target
    sample = frame.sample(rows, random_state=SAMPLE_SEED)
    holdout = sample.sample(frac=0.2, random_state=HOLDOUT_SEED)
    train = sample.drop(index=holdout.index)
    return train.reset_index(drop=True), holdout.reset_index(drop=True), target


def _cat(*categories: str, nullable: bool = False) -> dict:
    return {"type": "categorical", "categories": list(categories), **({"nullable": True} if nullable else {})}


def _num(kind: str, lo: float | str, hi: float | str, decimals: int = 0, nullable: bool = False) -> dict:
    return {"type": kind, "min": lo, "max": hi, "decimals": decimals, **({"nullable": True} if nullable else {})}


# --- Adult -------------------------------------------------------------------------------------
# Category lists: the UCI repository's adult.names (published with the data set); '?' marks a
# missing value there, documented for workclass, occupation and native-country.
# Numeric ranges: the published ranges of the UCI Adult columns (ADULT_PUBLIC_BOUNDS, used by
# peers.py since its first run).
ADULT_PUBLIC_BOUNDS = {"age": [17, 90], "fnlwgt": [12285, 1484705], "education-num": [1, 16],
                       "capital-gain": [0, 99999], "capital-loss": [0, 4356], "hours-per-week": [1, 99]}
ADULT_DOMAIN: dict[str, dict] = {
    "age": _num("integer", *ADULT_PUBLIC_BOUNDS["age"]),
    "workclass": _cat("Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov",
                      "Without-pay", "Never-worked", nullable=True),
    "fnlwgt": _num("integer", *ADULT_PUBLIC_BOUNDS["fnlwgt"]),
    "education": _cat("Bachelors", "Some-college", "11th", "HS-grad", "Prof-school", "Assoc-acdm", "Assoc-voc",
                      "9th", "7th-8th", "12th", "Masters", "1st-4th", "10th", "Doctorate", "5th-6th", "Preschool"),
    "education-num": _num("integer", *ADULT_PUBLIC_BOUNDS["education-num"]),
    "marital-status": _cat("Married-civ-spouse", "Divorced", "Never-married", "Separated", "Widowed",
                           "Married-spouse-absent", "Married-AF-spouse"),
    "occupation": _cat("Tech-support", "Craft-repair", "Other-service", "Sales", "Exec-managerial", "Prof-specialty",
                       "Handlers-cleaners", "Machine-op-inspct", "Adm-clerical", "Farming-fishing",
                       "Transport-moving", "Priv-house-serv", "Protective-serv", "Armed-Forces", nullable=True),
    "relationship": _cat("Wife", "Own-child", "Husband", "Not-in-family", "Other-relative", "Unmarried"),
    "race": _cat("White", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other", "Black"),
    "sex": _cat("Female", "Male"),
    "capital-gain": _num("integer", *ADULT_PUBLIC_BOUNDS["capital-gain"]),
    "capital-loss": _num("integer", *ADULT_PUBLIC_BOUNDS["capital-loss"]),
    "hours-per-week": _num("integer", *ADULT_PUBLIC_BOUNDS["hours-per-week"]),
    "native-country": _cat(
        "United-States", "Cambodia", "England", "Puerto-Rico", "Canada", "Germany", "Outlying-US(Guam-USVI-etc)",
        "India", "Japan", "Greece", "South", "China", "Cuba", "Iran", "Honduras", "Philippines", "Italy", "Poland",
        "Jamaica", "Vietnam", "Mexico", "Portugal", "Ireland", "France", "Dominican-Republic", "Laos", "Ecuador",
        "Taiwan", "Haiti", "Columbia", "Hungary", "Guatemala", "Nicaragua", "Scotland", "Thailand", "Yugoslavia",
        "El-Salvador", "Trinadad&Tobago", "Peru", "Hong", "Holand-Netherlands", nullable=True),
    "class": _cat("<=50K", ">50K"),
}

# --- hr_turnover.csv ("HR analytics" table: one row per employee) ------------------------------
# Shares 0–1 and the analyst's generic HR bounds (monthly hours 0–400, years of service 0–50,
# 0/1 flags); number of projects 0–10 (a count an analyst would cap); the department and salary
# band lists are the table's documented codes (its data card: ten departments, three bands).
HR_DOMAIN: dict[str, dict] = {
    "satisfaction_level": _num("continuous", 0, 1, decimals=2),      # a share, 0–1
    "last_evaluation": _num("continuous", 0, 1, decimals=2),         # a share, 0–1
    "number_project": _num("integer", 0, 10),                        # projects at once: a small count
    "average_montly_hours": _num("integer", 0, 400),                 # monthly hours 0–400
    "time_spend_company": _num("integer", 0, 50),                    # years of service 0–50
    "Work_accident": _cat("0", "1"),                                 # 0/1 flag
    "left": _cat("0", "1"),                                          # 0/1 flag (the target)
    "promotion_last_5years": _cat("0", "1"),                         # 0/1 flag
    "Department": _cat("sales", "accounting", "hr", "technical", "support", "management", "IT",
                       "product_mng", "marketing", "RandD"),
    "salary": _cat("low", "medium", "high"),                         # salary bands
}

# --- the demo table (resources/demo/README.md is its data dictionary) --------------------------
# Category lists: the departments, roles and genders the README and simulate_employees.py
# publish (the company's org chart); Yes/No and True/False flags. Bounds: the analyst's generic
# HR bounds (age 16–80, dates 1950-01-01 … the snapshot 2025-06-30, years of service 0–50,
# salary 0–500,000, percentages 0–100, ratings and levels 1–5, weekly hours 0–100 i.e. the
# monthly 0–400 per week). Empty cells the README documents: termination_date (current staff),
# bonus_pct, satisfaction, performance_rating.
DEMO_DOMAIN: dict[str, dict] = {
    "department": _cat("Sales", "Engineering", "Support", "Operations", "Marketing", "Finance", "HR"),
    "job_role": _cat("Sales Representative", "Account Executive", "Sales Director", "Software Engineer",
                     "Data Scientist", "QA Engineer", "Engineering Manager", "Chief Data Officer", "Support Agent",
                     "Support Team Lead", "Operations Analyst", "Logistics Coordinator", "Operations Manager",
                     "Marketing Specialist", "Marketing Manager", "Accountant", "Financial Analyst",
                     "Finance Manager", "HR Generalist", "Recruiter", "HR Business Partner"),
    "job_level": _num("integer", 1, 5),
    "gender": _cat("Female", "Male", "Non-binary"),
    "age": _num("integer", 16, 80),
    "hire_date": _num("date", "1950-01-01", "2025-06-30"),
    "termination_date": _num("date", "1950-01-01", "2025-06-30", nullable=True),
    "tenure_years": _num("continuous", 0, 50, decimals=1),
    "salary": _num("integer", 0, 500_000),
    "bonus_pct": _num("continuous", 0, 100, decimals=1, nullable=True),
    "overtime": _cat("Yes", "No"),
    "weekly_hours": _num("integer", 0, 100),
    "satisfaction": _num("integer", 1, 5, nullable=True),
    "performance_rating": _num("integer", 1, 5, nullable=True),
    "remote": _cat("True", "False"),                                 # a boolean: keeps its tokens
    "attrition": _cat("Yes", "No"),
}

DOMAINS: dict[str, dict[str, dict]] = {
    "adult": ADULT_DOMAIN, "adult1000": ADULT_DOMAIN, "demo": DEMO_DOMAIN, "hr500": HR_DOMAIN, "hr1500": HR_DOMAIN,
}


def domain(dataset: str) -> dict[str, dict]:
    """The public domain of every learned column of ``dataset`` (the demo's PII columns have none)."""
    return DOMAINS[dataset]


def declared_schema(dataset: str, frame: pd.DataFrame, public: bool = True) -> Schema:
    """``infer_schema(frame)`` with the analyst's declarations: a 0/1 flag declared as a category
    list becomes categorical (so its TSTR is a ROC AUC, not an R²), and with ``public`` every
    learned column gets its public bounds or categories (booleans keep their tokens) and whether
    it may be empty (the peers get the same: an empty bin only where ``nullable``), and the
    whole schema is declared, as an analyst confirming it in the app would.
    Every tool is scored with this schema's kinds (``public=False`` gives them without bounds)."""
    schema = infer_schema(frame)
    declared = domain(dataset)
    for column in schema.learned:
        entry = declared.get(column.name)
        if entry is None:
            continue
        if entry["type"] == "categorical":
            if column.kind is Kind.BOOLEAN:
                continue
            column.kind = Kind.CATEGORICAL
            column.decimals = 0
            if public:
                column.public_categories = list(entry["categories"])
        elif public:
            column.public_min, column.public_max = entry["min"], entry["max"]
        if public:
            column.public_missing = bool(entry.get("nullable"))
    return schema.declare_all() if public else schema
