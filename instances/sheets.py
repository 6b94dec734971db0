"""The instance workbook's layout: which field of ../shared/SPEC.md (v2) sits on which
sheet, in which column, with its unit, meaning and default.

Two kinds of sheet:

- *field* sheets (Horizon, Markets, Finance) hold one object: one row per field,
  the field name in column ``field`` and its value in column ``value``;
- *table* sheets (Sites, Mining, AI, PowerTiers, ASICModels, Debt, Scenarios) hold
  a list: one row per item, one column per field.

A series field takes a number, the name of a column of the Series sheet, or a
growth form: on field sheets in the row's ``start``, ``annual_growth`` and
``steps`` columns, on table sheets in the columns ``<field>.start``,
``<field>.annual_growth`` and ``<field>.steps`` beside the field's own column.
``instances.xlsx`` reads and writes workbooks with this layout.
"""

from __future__ import annotations

from dataclasses import dataclass

GROWTH_KEYS = ("start", "annual_growth", "steps")
GROWTH_UNITS = {"annual_growth": "fraction per year", "steps": "YYYY-MM:factor; ..."}
NOTE_PREFIX = "#"  # a column whose header starts with it is a note: never read


@dataclass(frozen=True)
class Column:
    """One field of the workbook.

    ``path`` is where the value goes in the JSON instance: from the root on field
    sheets (``("finance", "terminal", "ai_ebitda_multiple")``), from the item on
    table sheets (``("grid_mw",)``). ``kind``: number, integer, bool, string, date,
    series, site (the name of a row of the Sites sheet) or any (a scenario value).
    ``rule`` is the range in words (``">= 0"``) for error messages; the range itself
    is checked by the instance validation (``instances.schema``).
    """

    key: str
    kind: str
    path: tuple[str, ...]
    unit: str = ""
    meaning: str = ""
    default: str = "optional"
    rule: str = ""

    @property
    def header(self) -> str:
        """The header text: the key and its unit, ``grid_mw [MW]``."""
        return f"{self.key} [{self.unit}]" if self.unit else self.key

    @property
    def comment(self) -> str:
        """The cell comment: meaning, unit, default and what a series cell takes."""
        lines = [f"{self.key}: {self.meaning}" if self.meaning else self.key]
        if self.unit:
            lines.append(f"Unit: {self.unit}.")
        if self.rule:
            lines.append(f"Must be {self.rule}.")
        lines.append(self.default[0].upper() + self.default[1:] + ".")
        if self.kind == "series":
            lines.append("A number (every period), the name of a Series column, or a growth form in the start / annual_growth / steps columns.")
        elif self.kind == "bool":
            lines.append("TRUE or FALSE.")
        elif self.kind == "date":
            lines.append('A month, "YYYY-MM" (typed as text).')
        return "\n".join(lines)


@dataclass(frozen=True)
class Sheet:
    """A sheet: its name, layout (``fields`` or ``table``), columns and what it holds."""

    name: str
    layout: str
    columns: tuple[Column, ...]
    about: str
    required: bool = False

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def _c(key: str, kind: str, unit: str = "", meaning: str = "", default: str = "optional", rule: str = "", path: tuple[str, ...] | None = None) -> Column:
    return Column(key, kind, path if path is not None else tuple(key.split(".")), unit, meaning, default, rule)


USD = "USD"

HORIZON = Sheet(
    "Horizon",
    "fields",
    (
        _c("name", "string", meaning="instance name, shown in reports", default='default "instance"', path=("name",)),
        _c("description", "string", meaning="free text", default="default empty", path=("description",)),
        _c("start", "date", meaning="first period's start month", default="required", path=("horizon", "start")),
        _c("periods", "integer", "periods", "number of periods N", "required", "between 1 and 600", path=("horizon", "periods")),
        _c("period_months", "integer", "months", "period length: 1, 3, 6 or 12", "default 3", "one of 1, 3, 6, 12", path=("horizon", "period_months")),
    ),
    "The time grid (SPEC 1) and the instance's name.",
    required=True,
)

SCENARIO_MODEL = (
    ("btc_price_usd", "USD per BTC", "bitcoin price at the horizon start", "default 65000", "> 0"),
    ("btc_growth_annual", "fraction per year", "expected price growth g", "default 0.20", "> -1"),
    ("btc_volatility_annual", "fraction per sqrt(year)", "GBM volatility of the price", "default 0.50", ">= 0"),
    ("difficulty", "difficulty", "network difficulty at the horizon start", "default 1.2623e14", "> 0"),
    ("difficulty_trend_annual", "fraction per year", "difficulty growth at a flat price", "default 0.10", "> -1"),
    ("difficulty_price_elasticity", "ratio", "d ln(difficulty) / d ln(price)", "default 0.35", ""),
    ("difficulty_step_at_halving", "fraction", "difficulty level change at each halving", "default -0.05", "> -1"),
    ("block_subsidy_btc", "BTC per block", "block subsidy at the horizon start", "default 3.125", "> 0"),
    ("next_halving", "", "month of the next halving", 'default "2028-04"', ""),
    ("halving_interval_years", "years", "time between halvings", "default 4", "> 0"),
    ("fee_share_of_subsidy", "fraction", "fees per block as a share of the subsidy", "default 0.01", ">= 0"),
)

MARKETS = Sheet(
    "Markets",
    "fields",
    (
        _c("hashprice_usd_per_ph_day", "series", "USD per PH/s per day", "hashprice, one for the whole portfolio", "required", ">= 0", path=("markets", "hashprice_usd_per_ph_day")),
        _c("ai_demand_it_mw", "series", "IT MW", "IT MW tenants will lease in the row's region (one row per region); a region without a row has no limit", "optional", ">= 0", path=("markets", "ai_demand_it_mw")),
    )
    + tuple(
        _c(f"scenario_model.{key}", "date" if key == "next_halving" else "number", unit, f"{meaning} (extension: read by allocate scenarios)", default, rule, path=("scenario_model", key))
        for key, unit, meaning, default, rule in SCENARIO_MODEL
    ),
    "Portfolio-wide prices and AI demand by region (SPEC 4).",
    required=True,
)

FINANCE = Sheet(
    "Finance",
    "fields",
    (
        _c("discount_rate_annual", "number", "fraction", "discount rate of df_t", "required", "> -1 and at most 1", path=("finance", "discount_rate_annual")),
        _c("initial_cash_usd", "number", USD, "cash at the start", "default 0", path=("finance", "initial_cash_usd")),
        _c("min_cash_usd", "number", USD, "cash at every period end stays at or above it", "default 0", path=("finance", "min_cash_usd")),
        _c("overhead_usd_per_year", "series", "USD per year", "corporate G&A, charged x m/12 each period", "default 0", ">= 0", path=("finance", "overhead_usd_per_year")),
        _c("capex_budget_usd", "series", "USD per period", "cap on AI capex spent in each period", "optional: no cap", ">= 0", path=("finance", "capex_budget_usd")),
        _c("total_capex_budget_usd", "number", USD, "cap on AI capex over the horizon", "optional: no cap", ">= 0", path=("finance", "total_capex_budget_usd")),
        _c("max_debt_to_ebitda", "number", "ratio", "every period end: total debt <= ratio x EBITDA_t x 12/m", "optional: no covenant", ">= 0", path=("finance", "max_debt_to_ebitda")),
        _c("terminal.mining_ebitda_multiple", "number", "ratio", "terminal value multiple of the last period's annualised mining EBITDA", "default 0", ">= 0", path=("finance", "terminal", "mining_ebitda_multiple")),
        _c("terminal.ai_ebitda_multiple", "number", "ratio", "terminal value multiple of the last period's annualised AI EBITDA", "default 0", ">= 0", path=("finance", "terminal", "ai_ebitda_multiple")),
        _c("risk.cvar_alpha", "number", "fraction", "CVaR tail level (extension: risk aversion over scenarios)", "optional: no risk term; required with risk.weight", ">= 0 and < 1", path=("risk", "cvar_alpha")),
        _c("risk.weight", "number", "fraction", "weight of the CVaR term in the objective (extension)", "optional: no risk term; required with risk.cvar_alpha", "between 0 and 1", path=("risk", "weight")),
    ),
    "Discounting, cash, budgets, covenant and terminal value (SPEC 5).",
    required=True,
)

SITES = Sheet(
    "Sites",
    "table",
    (
        _c("name", "string", meaning="unique site name", default="required"),
        _c("region", "string", meaning="region, matched against the ai_demand_it_mw rows of Markets", default="required"),
        _c("grid_mw", "series", "MW", "energized grid capacity available at the meter", "required", ">= 0"),
        _c("power_price_usd_per_mwh", "series", "USD/MWh", "all-in price of energy drawn", "required unless the site has PowerTiers rows (give one or the other)"),
    ),
    "One row per site (SPEC 3). A site mines when it has a row on Mining, can host AI halls when it has a row on AI.",
    required=True,
)

MINING = Sheet(
    "Mining",
    "table",
    (
        _c("site", "site", meaning="a name from the Sites sheet", default="required"),
        _c("max_mw", "number", "MW", "grid MW the installed ASIC fleet can draw", "default: the largest grid_mw of the horizon", ">= 0"),
        _c("efficiency_j_per_th", "number", "J/TH", "installed fleet efficiency, at the ASIC", "required", "> 0"),
        _c("pue", "number", "ratio", "grid MW per MW delivered to ASICs", "default 1.0", ">= 1"),
        _c("opex_usd_per_mw_year", "number", "USD per MW-year", "non-power opex of MW actually mined", "default 0", ">= 0"),
        _c("rack_mw", "number", "MW", "grid MW of machines the site can house, installed fleet and new machines together (v2)", "default: max_mw", ">= 0"),
    ),
    "One row per mining site (SPEC 3 and 8). A site without a row never mines.",
)

AI = Sheet(
    "AI",
    "table",
    (
        _c("site", "site", meaning="a name from the Sites sheet", default="required"),
        _c("eligible", "bool", meaning="FALSE: the site can never be retrofitted", default="default TRUE"),
        _c("block_it_mw", "number", "IT MW", "size of one retrofit block (a data hall)", "required when eligible", "> 0"),
        _c("max_blocks", "integer", "blocks", "blocks the site can hold in total", "required when eligible", ">= 0"),
        _c("capex_usd_per_it_mw", "number", "USD per IT MW", "retrofit capital cost", "required when eligible", ">= 0"),
        _c("lead_periods", "integer", "periods", "periods from a block's start until it is online", "required when eligible", "between 0 and 600"),
        _c("earliest_start", "date", meaning="no block may start before this month", default="default: the horizon start"),
        _c("pue", "number", "ratio", "grid MW per IT MW", "required when eligible", ">= 1"),
        _c("lease_usd_per_kw_month", "series", "USD per IT kW-month", "rent paid by the tenant", "required when eligible", ">= 0"),
        _c("opex_usd_per_it_mw_year", "number", "USD per IT MW-year", "landlord's non-power opex of leased MW", "default 0", ">= 0"),
        _c("power_pass_through", "bool", meaning="TRUE: the tenant pays AI energy; FALSE: the landlord does", default="default TRUE"),
        _c("prepayment_usd_per_it_mw", "number", "USD per IT MW", "tenant prepayment, paid in the period a block starts (v2)", "default 0", ">= 0"),
        _c("prepayment_credit_periods", "integer", "periods", "periods over which the prepayment is credited back from the online period (v2)", "required when the prepayment is above 0", ">= 1"),
        _c("leased_on_completion", "bool", meaning="TRUE: every online block is leased in full (a hall built for a signed tenant) (v2)", default="default FALSE"),
    ),
    "One row per site that may be retrofitted into AI/HPC halls (SPEC 3 and 10). A site without a row is never retrofitted.",
)

POWER_TIERS = Sheet(
    "PowerTiers",
    "table",
    (
        _c("site", "site", meaning="a name from the Sites sheet (one row per tier, in order)", default="required"),
        _c("hours_fraction", "number", "fraction", "share of every period's hours in this tier; a site's tiers sum to 1", "required", "> 0"),
        _c("price_usd_per_mwh", "series", "USD/MWh", "energy price in this tier", "required"),
        _c("resale_usd_per_mwh", "series", "USD/MWh", "what a MWh of grid capacity not drawn in this tier earns", "default 0"),
    ),
    "Power price tiers (SPEC 9, v2): a site gives power_price_usd_per_mwh on Sites or rows here, not both.",
)

ASIC_MODELS = Sheet(
    "ASICModels",
    "table",
    (
        _c("name", "string", meaning="unique model name", default="required"),
        _c("efficiency_j_per_th", "number", "J/TH", "efficiency at the ASIC", "required", "> 0"),
        _c("price_usd_per_th", "series", "USD per TH/s", "purchase price of machines bought in the period", "required", ">= 0"),
        _c("available_from", "date", meaning="first month it can be bought", default="default: the horizon start"),
        _c("available_until", "date", meaning="last month it can be bought (periods starting at or before it)", default="default: no end"),
    ),
    "ASIC models the portfolio can buy (SPEC 8, v2).",
)

DEBT = Sheet(
    "Debt",
    "table",
    (
        _c("name", "string", meaning="unique facility name", default="required"),
        _c("limit_usd", "number", USD, "balance never above it", "required", ">= 0"),
        _c("initial_balance_usd", "number", USD, "balance already owed at the start", "default 0", ">= 0"),
        _c("rate_annual", "number", "fraction", "interest of a period = rate x m/12 x opening balance", "required", "> -1"),
        _c("upfront_fee", "number", "fraction", "paid on each draw, in the period of the draw", "default 0", ">= 0 and < 1"),
        _c("draw_from", "date", meaning="draws only in periods starting at or after it", default="default: the whole horizon"),
        _c("draw_until", "date", meaning="draws only in periods starting at or before it", default="default: the whole horizon"),
        _c("maturity", "date", meaning="balance is 0 at the end of every period from the one it selects", default="default: none"),
        _c("advance_rate_on_ai_capex", "number", "fraction", "balance <= this x AI capex spent so far (a construction loan)", "optional", ">= 0"),
    ),
    "Debt facilities (SPEC 5).",
)

SCENARIOS = Sheet(
    "Scenarios",
    "table",
    (
        _c("scenario", "string", meaning="scenario name; one row per field it sets (repeat the name)", default="required"),
        _c("probability", "number", "fraction", "scenario probability; the scenarios' sum to 1", "required (on at least one of the scenario's rows)", "between 0 and 1"),
        _c("path", "string", meaning='dotted path of the field the scenario sets, sites and facilities by name: "sites.Rockdale.power_price_usd_per_mwh"', default="optional: a row without a path sets nothing"),
        _c("value", "any", meaning="the value: a number, a Series column name, TRUE/FALSE, a month, JSON text, or a growth form in the start / annual_growth / steps columns", default="required with a path"),
    ),
    "Scenarios (SPEC 6): each sets fields by dotted path; retrofit starts are shared by all.",
)

TABLES = (SITES, MINING, AI, POWER_TIERS, ASIC_MODELS, DEBT, SCENARIOS)
FIELD_SHEETS = (HORIZON, MARKETS, FINANCE)
SERIES_SHEET = "Series"
README_SHEET = "README"
ORDER = (README_SHEET, "Horizon", "Markets", "Sites", "Mining", "AI", "PowerTiers", "ASICModels", "Finance", "Debt", "Scenarios", SERIES_SHEET)
SHEETS = {s.name: s for s in FIELD_SHEETS + TABLES}

MEANING_HEADER = f"{NOTE_PREFIX} meaning"

README_LINES = (
    "allocate instance workbook",
    "",
    "Each sheet holds one table of the instance format (../shared/SPEC.md, docs/instance-format.md).",
    "Every header has a comment: the field's meaning, unit and default. Units are in [brackets].",
    "Horizon, Markets, Finance: one row per field; type the value in the value column.",
    "Sites: one row per site. Mining / AI: one row per site that mines / may host AI halls (column site).",
    "PowerTiers: one row per power price tier of a site (v2). ASICModels: machines the portfolio can buy (v2).",
    "Debt: one row per facility. Scenarios: one row per field a scenario sets (repeat the scenario's name).",
    "Series: column period holds the horizon's months (YYYY-MM, as text), one column per named series.",
    "",
    "A series cell (marked series in its comment) holds:",
    "  a number: the same value in every period;",
    "  the name of a Series column: one value per period;",
    "  or nothing, with a growth form in the start / annual_growth / steps columns beside it:",
    "  value = start x (1 + annual_growth)^years, times the factor of every step from its month on;",
    "  steps are written 2028-04:0.5; 2032-04:0.5 (a bitcoin halving is a step of 0.5).",
    "Months are YYYY-MM text. Booleans are TRUE / FALSE. Empty cells take the default.",
    "A column whose header starts with # is a note and is not read. Formulas are fine once the",
    "workbook has been saved by Excel or LibreOffice (their values are read, not the formulas).",
    "",
    "Check:  allocate validate book.xlsx     Solve:  allocate solve book.xlsx --out runs/today",
    "The plan is in runs/today/plan.xlsx.    To JSON:  allocate convert book.xlsx portfolio.json",
)
