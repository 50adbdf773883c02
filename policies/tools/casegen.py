#!/usr/bin/env python3
"""Writes the standard case files of a region: policies/<region>/cases/*.json.

An oracle independent of the Rust SDK: it reads the figures from policies/tools/parameters.json (a copy of shared/domain/parameters.json),
works each amount out with plain integer arithmetic, and writes the arithmetic into the case's
description, so a reviewer can check every figure by hand. The Rust policy must agree, natively
and through the engine (cargo test at the root runs both).

    python3 policies/tools/casegen.py CN-SC [--params policies/tools/parameters.json]

Re-run it after changing a figure in parameters.json and review the diff of the case files.
"""
import argparse, copy, datetime as dt, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_params(path):
    return json.load(open(path))


class Calendar:
    def __init__(self, p):
        self.off, self.on = set(), set()
        for v in p["public_holidays"].values():
            self.off |= set(v["days_off"])
            self.on |= set(v["makeup_workdays"])

    def working(self, d):
        s = d.isoformat()
        return True if s in self.on else False if s in self.off else d.weekday() < 5

    def add(self, s, n):
        d = dt.date.fromisoformat(s)
        if n == 0:
            while not self.working(d):
                d += dt.timedelta(1)
            return d.isoformat()
        while n > 0:
            d += dt.timedelta(1)
            if self.working(d):
                n -= 1
        return d.isoformat()


def fen(yuan):
    return int(round(yuan * 100))


def y(f):
    return f"{f // 100:,}.{f % 100:02d}"


def pct(amount, bp):
    return None if amount is None else (amount * bp + 5000) // 10000


def times(amount, n):
    return None if amount is None else amount * n


def yy(f):
    return "?" if f is None else f"{y(f)} yuan"


def base_desc(label, b, year):
    """How a 2025-procedure base was found, for a case's description."""
    fen_, name, prov, used, annual = b
    if fen_ is None:
        return f"{label} B({year}): no private-unit wage found for the region, so no amount (Missing)"
    return (f"{label} B({year}) = 5 % (60 % ÷ 12) of the private-unit annual wage {used} {y(annual)} yuan = "
            f"{y(fen_)} yuan" + (f", standing in for {year}" if used != year else "")
            + (" (provisional)" if prov else ""))


def provisional_conf(c):
    return c not in ("confirmed", "derived")


BASE_DOCS = ["benefit_application_form", "consent_form", "id_card", "order_record",
             "incident_statement", "diagnosis"]


def lacking(code, p):
    """The entries parameters.json needs for `code` and does not have."""
    need = [("regions", "in_force_from and the scheme's name"),
            ("avg_monthly_wage_all_urban_employed", "the wage base by year"),
            ("min_wage_tier1_monthly", "the minimum wage")]
    out = [f"{table}.{code} ({what})" for table, what in need if code not in p.get(table, {})]
    wages = p.get("avg_monthly_wage_all_urban_employed", {}).get(code, {})
    if code in p.get("avg_monthly_wage_all_urban_employed", {}) and not [k for k in wages if not k.startswith("_")]:
        out.append(f"avg_monthly_wage_all_urban_employed.{code} has no year")
    return out


class Region:
    def __init__(self, code, p):
        self.code = code
        self.p = p
        self.info = p["regions"][code]
        self.wages = {int(k): v for k, v in p["avg_monthly_wage_all_urban_employed"][code].items()
                      if not k.startswith("_")}
        self.min_wage = p["min_wage_tier1_monthly"][code]
        meal = p["hospital_meal_subsidy"].get(code, {})
        self.meal = meal if meal.get("yuan_per_day") is not None else None
        self.start = self.info["in_force_from"]
        priv = p.get("avg_annual_wage_urban_private_units", {}).get(code, {})
        self.private = {int(k): v for k, v in priv.items() if not k.startswith("_")}

    def base(self, year, what, inferred):
        """The 2025 procedure's base of `year` (60 % of the private-unit wage / 12 = 5 % of the
        annual figure): (fen or None, parameter name, provisional, year used, annual fen)."""
        name = f"{what}.{self.code}.{year}"
        if not self.private:
            return None, name, True, None, None
        if year in self.private:
            used, prov = year, provisional_conf(self.private[year]["confidence"])
        else:
            below = [k for k in self.private if k < year]
            used, prov = (max(below) if below else min(k for k in self.private if k > year)), True
        annual = fen(self.private[used]["yuan"])
        return pct(annual, 500), name, prov or inferred, used, annual

    def b(self, year):
        return self.base(year, "pilot_death_base", False)

    def tb(self, year):
        return self.base(year, "pilot_treatment_base", True)

    def w(self, year):
        """(fen, parameter name, provisional, year used)"""
        name = f"avg_monthly_wage.{self.code}.{year}"
        if year in self.wages:
            v = self.wages[year]
            return fen(v["yuan"]), name, provisional_conf(v["confidence"]), year
        below = [k for k in self.wages if k < year]
        used = max(below) if below else min(k for k in self.wages if k > year)
        return fen(self.wages[used]["yuan"]), name, True, used


def income(p, year):
    t = {int(k): v for k, v in p["national_urban_disposable_income"].items()}
    name = f"national_urban_disposable_income.{year}"
    if year in t:
        return fen(t[year]["yuan"]), name, provisional_conf(t[year]["confidence"]), year
    below = [k for k in t if k < year]
    used = max(below) if below else min(t)
    return fen(t[used]["yuan"]), name, True, used


def base_facts(region, day):
    """A delivery rider's accident on `day` (YYYY-MM-DD) at 10:15, applied for on the next
    working day (the platform's deadline is 3 working days)."""
    return {
        "region": region.code,
        "industry": "instant_delivery",
        "order": {"accepted_at": f"{day}T10:02:00+08:00", "completed_at": f"{day}T10:48:00+08:00"},
        "incident": {"occurred_at": f"{day}T10:15:00+08:00", "kind": "order_accident",
                     "on_reasonable_route": True, "worker_fault": "none"},
        "exclusions": {"intentional_crime": False, "intoxicated_or_drugged": False,
                       "self_harm": False},
        "medical": {"first_treatment_at": f"{day}T10:50:00+08:00", "outpatient_fen": 120000,
                    "inpatient_fen": 0, "out_of_catalogue_fen": 0, "inpatient_days": 0,
                    "treated_outside_region": False},
        "assessment": {"disability_grade": None, "care_level": None, "assessed_at": None},
        "death": None,
        "dependants": [],
        "application": {"applicant": "platform", "applied_at": f"{day}T16:00:00+08:00",
                        "late_statement": False, "complete_at": None},
        "documents": BASE_DOCS + ["medical_receipts"],
    }


class Gen:
    def __init__(self, code, params, fast_track):
        self.p = params
        self.r = Region(code, params)
        self.cal = Calendar(params)
        self.fast = fast_track  # None, "bj" or "hi"
        self.cases = {}
        # An incident in August of the year after the latest published wage (so W of the year
        # before is published), or of the start year when that is later; on a working day.
        start = dt.date.fromisoformat(self.r.start)
        day = dt.date(max(start.year, max(self.r.wages) + 1), 8, 3)
        while not self.cal.working(day):
            day += dt.timedelta(1)
        self.day = day.isoformat()
        self.year = day.year

    def facts(self, **kw):
        f = base_facts(self.r, self.day)
        for path, v in kw.items():
            obj = f
            keys = path.split("__")
            for k in keys[:-1]:
                obj = obj[k]
            obj[keys[-1]] = v
        return f

    def due(self, facts, simple):
        start = (facts["application"]["complete_at"] or facts["application"]["applied_at"])[:10]
        n = 7 if simple else 30
        return self.cal.add(start, n), f"{n} working days from {start}"

    def add(self, name, desc, facts, expected=None, error=None):
        case = {"description": desc, "facts": facts}
        if error:
            case["expected_error"] = error
        else:
            case["expected"] = expected
        self.cases[name] = case

    def refusal(self, name, desc, facts, code):
        simple = facts["assessment"]["disability_grade"] is None and facts["death"] is None
        due, how = self.due(facts, simple)
        self.add(name, f"{desc} Determination due {how} = {due}.", facts, {
            "outcome": "not_covered", "reasons": [{"code": code}], "benefits": [],
            "missing_documents": [], "fast_track": False,
            "due": {"determination": due, "payment": None}})

    def needs(self, name, desc, facts, codes, missing):
        self.add(name, desc, facts, {
            "outcome": "needs_information", "reasons": [{"code": c} for c in codes],
            "benefits": [], "missing_documents": sorted(missing, key=DOC_ORDER.index),
            "fast_track": False, "due": {"determination": None, "payment": None}})

    def medical_line(self, out, inp):
        return {"item": "medical", "payer": "fund", "period": "lump_sum",
                "amount_fen": out + inp, "provisional": False}

    def fast_applies(self, f):
        m = f["medical"]
        if f["assessment"]["disability_grade"] or f["assessment"]["care_level"] or f["death"]:
            return False
        if m["inpatient_fen"] or m["inpatient_days"]:
            return False
        if self.fast == "bj":
            return not m["treated_outside_region"]
        if self.fast == "hi":
            return m["outpatient_fen"] < 300000
        return False

    def covered(self, name, desc, facts, code, lines, prov, simple, more_reasons=()):
        exp = {"outcome": "covered", "reasons": [{"code": code}] + [{"code": c} for c in more_reasons],
               "benefits": lines,
               "missing_documents": [], "provisional_parameters": prov}
        if self.fast and self.fast_applies(facts):
            start = (facts["application"]["complete_at"] or facts["application"]["applied_at"])[:10]
            if self.fast == "bj":
                d = self.cal.add(start, 0)
                exp["reasons"].append({"code": "fast_track_cn_bj"})
                exp["due"] = {"determination": d, "payment": None}
                desc += f" Beijing fast track (小伤快赔): determination due the same day {d}."
            else:
                d, pay = self.cal.add(start, 2), self.cal.add(start, 5)
                exp["reasons"].append({"code": "fast_track_cn_hi"})
                exp["due"] = {"determination": d, "payment": pay}
                desc += (f" Hainan fast track (小伤快认快支): determination due 2 working days"
                         f" from {start} = {d}, payment 5 working days = {pay}.")
            exp["fast_track"] = True
        else:
            due, how = self.due(facts, simple)
            exp["fast_track"] = False
            exp["due"] = {"determination": due, "payment": None}
            desc += f" Determination due {how} = {due}."
        self.add(name, desc, facts, exp)

    # -- the standard set ---------------------------------------------------------------
    def generate(self):
        r, yr = self.r, self.year
        W, wname, wprov, wused = r.w(yr - 1)
        wnote = (f"W = avg monthly wage {wused} = {y(W)} yuan"
                 + (f" standing in for {yr - 1} (provisional)" if wused != yr - 1 else "")
                 + (", a secondary figure (provisional)" if wprov and wused == yr - 1 else ""))
        wp = [wname] if wprov else []
        meal_name = f"hospital_meal_per_day.{r.code}"

        # Outpatient only: medical line alone.
        f = self.facts()
        self.covered("covered_order_accident_outpatient",
                     f"Order accident, outpatient care only: medical = 1,200.00 yuan outpatient = 120000 fen.",
                     f, "order_accident", [self.medical_line(120000, 0)], [], True)

        # The claim example: inpatient, meal subsidy, grade 9.
        f = self.facts(medical__inpatient_fen=3580000, medical__out_of_catalogue_fen=250000,
                       medical__inpatient_days=9, assessment__disability_grade=9,
                       assessment__assessed_at=f"{yr}-12-10",
                       documents=BASE_DOCS + ["medical_receipts", "disability_assessment"])
        lines = [self.medical_line(120000, 3580000)]
        prov = []
        if r.meal:
            rate = fen(r.meal["yuan_per_day"])
            lines.append({"item": "hospital_meal_subsidy", "amount_fen": 9 * rate, "provisional": True})
            meal_desc = f"meal subsidy 9 days × {y(rate)} = {y(9 * rate)} yuan (secondary rate, provisional)"
        else:
            lines.append({"item": "hospital_meal_subsidy", "amount_fen": None, "provisional": True})
            meal_desc = "meal subsidy 9 days × rate: no published rate, amount left to the adjuster (provisional)"
        prov.append(meal_name)
        lines.append({"item": "one_off_disability_subsidy", "payer": "fund", "period": "lump_sum",
                      "amount_fen": 9 * W, "provisional": wprov})
        prov += wp
        self.covered("covered_grade9_inpatient",
                     f"The claim example: medical = 1,200.00 + 35,800.00 = 37,000.00 yuan (2,500.00 out of "
                     f"catalogue not paid); {meal_desc}; one-off disability subsidy grade 9 = 9 months × W, "
                     f"{wnote}: 9 × {W} = {9 * W} fen.",
                     f, "order_accident", lines, prov, False)

        # Grade 3 with care: subsidy, allowance (fund, floor = min wage), living care. From
        # 2025-07-01 the allowance is a share of the 2025 procedure's 待遇计发基数 (Art. 38),
        # taken to be B of the year before (inferred, so provisional).
        pilot = self.day >= "2025-07-01"
        f = self.facts(assessment__disability_grade=3, assessment__care_level="most",
                       documents=BASE_DOCS + ["medical_receipts", "disability_assessment"])
        mw = fen(r.min_wage["yuan"])
        mwp = [f"min_wage_monthly.{r.code}"] if provisional_conf(r.min_wage["confidence"]) else []
        TB, tbname, _, _, _ = r.tb(yr - 1)
        if pilot:
            share = pct(TB, 8000)
            allowance = None if share is None else max(share, mw)
            adesc = (f"allowance (人社厅函〔2025〕79号 Art. 38) max(80% × 待遇计发基数, min wage {mw}); "
                     f"{base_desc('待遇计发基数 taken as', r.tb(yr - 1), yr - 1)}, inferred: "
                     + (f"max({share}, {mw}) = {allowance} fen/month (fund, provisional)" if allowance is not None
                        else "no amount"))
            prov3 = wp + [tbname] + mwp
        else:
            allowance = max(pct(W, 8000), mw)
            adesc = f"allowance max(80% × {W} = {pct(W, 8000)}, min wage {mw}) = {allowance} fen/month (fund)"
            prov3 = wp + mwp
        self.covered("covered_grade3_living_care",
                     f"Grade 3, most self-care lost. {wnote}. One-off subsidy 23 × {W} = {23 * W} fen; "
                     f"{adesc}; living care 40% × {W} = {pct(W, 4000)} fen/month.",
                     f, "order_accident",
                     [self.medical_line(120000, 0),
                      {"item": "one_off_disability_subsidy", "amount_fen": 23 * W, "period": "lump_sum"},
                      {"item": "disability_allowance", "payer": "fund", "period": "monthly", "amount_fen": allowance},
                      {"item": "living_care", "payer": "fund", "period": "monthly", "amount_fen": pct(W, 4000)}],
                     prov3, False)

        # Grade 5: from 2025-07-01 a one-off allowance of 30 months of the treatment base (Art. 38);
        # before, a monthly allowance of 70 % of W, never below the minimum wage (条例 Art. 36).
        f = self.facts(assessment__disability_grade=5,
                       documents=BASE_DOCS + ["medical_receipts", "disability_assessment"])
        if pilot:
            self.covered("covered_grade5_one_off_allowance",
                         f"Grade 5, incident {self.day} (2025 procedure). {wnote}. One-off subsidy 18 × {W} = "
                         f"{18 * W} fen; one-off allowance (人社厅函〔2025〕79号 Art. 38) 30 months × 待遇计发基数; "
                         f"{base_desc('待遇计发基数 taken as', r.tb(yr - 1), yr - 1)}, inferred: "
                         + (f"30 × {TB} = {30 * TB} fen, once, fund, provisional." if TB is not None
                            else "no amount."),
                         f, "order_accident",
                         [self.medical_line(120000, 0),
                          {"item": "one_off_disability_subsidy", "amount_fen": 18 * W},
                          {"item": "disability_allowance", "payer": "fund", "period": "lump_sum",
                           "amount_fen": times(TB, 30), "provisional": True}],
                         wp + [tbname], False)
        before = dt.date(2025, 6, 3)
        while not self.cal.working(before):
            before += dt.timedelta(1)
        if dt.date.fromisoformat(r.start) <= before:
            day = before.isoformat()
            W0, wname0, wprov0, wused0 = r.w(2024)
            f = base_facts(r, day)
            f["assessment"]["disability_grade"] = 5
            f["documents"] = BASE_DOCS + ["medical_receipts", "disability_assessment"]
            allowance = max(pct(W0, 7000), mw)
            due, how = self.due(f, False)
            self.add("covered_grade5_monthly_allowance_before_2025_07",
                     f"Grade 5, incident {day}, before the 2025 procedure. W(2024) = {y(W0)} yuan"
                     + (f" (W({wused0}) standing in)" if wused0 != 2024 else "") + ". One-off subsidy 18 × "
                     f"{W0} = {18 * W0} fen; allowance max(70% × {W0} = {pct(W0, 7000)}, min wage {mw}) = "
                     f"{allowance} fen/month (条例 Art. 36: never below the minimum wage), paid by the platform "
                     f"[P: payer unconfirmed], provisional. Determination due {how} = {due}.",
                     f, {"outcome": "covered", "reasons": [{"code": "order_accident"}],
                         "benefits": [self.medical_line(120000, 0),
                                      {"item": "one_off_disability_subsidy", "amount_fen": 18 * W0},
                                      {"item": "disability_allowance", "payer": "platform", "period": "monthly",
                                       "amount_fen": allowance, "provisional": True}],
                         "missing_documents": [],
                         "provisional_parameters": ([wname0] if wprov0 else []) + mwp
                         + ["disability_allowance_payer.grade5_6"],
                         "fast_track": False, "due": {"determination": due, "payment": None}})

        # Violence, missing, traffic not mainly at fault.
        for kind, code in [("violence", "violence"), ("missing", "missing")]:
            f = self.facts(incident__kind=kind)
            self.covered(f"covered_{kind}", f"{kind.capitalize()} during the order task: covered; medical 120000 fen.",
                         f, code, [self.medical_line(120000, 0)], [], True)
        for fault in ["minor", "equal"]:
            f = self.facts(incident__kind="traffic_accident", incident__worker_fault=fault,
                           documents=BASE_DOCS + ["medical_receipts", "liability_finding"])
            self.covered(f"covered_traffic_{fault}_fault",
                         f"Traffic accident on a reasonable route, {fault} fault: covered; medical 120000 fen.",
                         f, "traffic_accident_not_mainly_at_fault", [self.medical_line(120000, 0)], [], True)

        # Sudden illness, death within 48 h: death benefits with dependants (Order No. 18 Art. 3).
        died = f"{self.day}T20:00:00+08:00"
        death_docs = BASE_DOCS + ["medical_receipts", "death_certificate", "kinship_proof"]
        f = self.facts(incident__kind="sudden_illness", death={"died_at": died},
                       dependants=[{"relation": "spouse", "birth_date": "1991-05-01", "orphan": False, "lone_elderly": False},
                                   {"relation": "child", "birth_date": "2018-02-01", "orphan": False, "lone_elderly": False}],
                       documents=death_docs)
        # The death items' base: from 2025-07-01 B of the year before the death (人社厅函〔2025〕79号
        # Art. 39), before that W.
        if pilot:
            D, dname, dbprov, _, _ = r.b(yr - 1)
            dnote = base_desc("Death base", r.b(yr - 1), yr - 1) + " (人社厅函〔2025〕79号 Art. 39)"
            dbp = [dname] if dbprov else []
        else:
            D, dnote, dbp = W, wnote, wp
        I, iname, iprov, iused = income(self.p, yr - 1)
        death_desc = (f"One-off death subsidy 20 × I({iused}) = 20 × {I} = {20 * I} fen; "
                      f"funeral 6 × {yy(D)} = {yy(times(D, 6))}")
        death_lines = [self.medical_line(120000, 0),
                       {"item": "one_off_death_subsidy", "amount_fen": 20 * I, "provisional": iprov},
                       {"item": "funeral_subsidy", "amount_fen": times(D, 6)}]
        dprov = ([iname] if iprov else []) + dbp

        def with_pension(amount):
            return death_lines + [{"item": "dependant_pension", "amount_fen": amount}]
        self.covered("covered_sudden_illness_death_within_48h",
                     f"Collapsed mid-order at 10:15, first treated 10:50, died 20:00 the same day (under 48 h): "
                     f"covered. {dnote}. {death_desc}. Dependants (Order No. 18 Art. 3): the spouse, born "
                     f"1991-05-01, is {yr - 1991 - (1 if (8, 3) < (5, 1) else 0)} and not fully incapacitated, "
                     f"below 55/60: not a dependant; the child, born 2018-02-01, is under 18: 30% × {yy(D)} = "
                     f"{yy(pct(D, 3000))}/month.",
                     f, "sudden_illness_death_within_48h",
                     death_lines + [{"item": "dependant_pension", "period": "monthly", "amount_fen": pct(D, 3000)}],
                     dprov, False, ["dependant_not_eligible"])

        # Dependants above the cap; a reported status the facts contradict is not paid.
        deps = [{"relation": "spouse", "birth_date": f"{yr - 57}-03-01", "sex": "female"},
                {"relation": "child", "birth_date": f"{yr - 13}-01-15", "orphan": True},
                {"relation": "child", "birth_date": f"{yr - 10}-06-01", "orphan": True},
                {"relation": "parent", "birth_date": f"{yr - 75}-05-01", "sex": "male", "lone_elderly": True}]
        f = self.facts(incident__kind="violence", death={"died_at": died}, dependants=deps, documents=death_docs)
        total = None if D is None else pct(D, 4000) + 2 * pct(D, 3000) + pct(D, 4000)
        self.covered("covered_death_dependants_capped",
                     f"Killed by violence during the order on {self.day}. {dnote}. Order No. 18 Art. 3: the wife, 57, is a "
                     f"woman over 55: 40%; the children, 13 and 10, are under 18: 30% each, and the reported "
                     f"orphan status is not paid because their mother is listed alive (条例 Art. 39 +10% for an "
                     f"orphan); the father, 75, is over 60 and the only parent listed, a lone elderly person: "
                     f"30% + 10%. 40% + 30% + 30% + 40% = 140% of the base = {yy(total)}, capped at the base "
                     f"{yy(D)}/month.",
                     f, "violence", with_pension(D),
                     dprov, False)

        # Order No. 18 Art. 3, each kind of relative, eligible and not (ages on the day of death).
        deps = [{"relation": "spouse", "birth_date": f"{yr - 58}-01-10", "sex": "male"},
                {"relation": "parent", "birth_date": f"{yr - 55}-{self.day[5:]}", "sex": "female"},
                {"relation": "child", "birth_date": f"{yr - 18}-{self.day[5:]}"},
                {"relation": "child", "birth_date": f"{yr - 17}-12-31"},
                {"relation": "child", "birth_date": f"{yr - 30}-04-01", "fully_incapacitated": True},
                {"relation": "sibling", "birth_date": f"{yr - 12}-04-01", "closer_relatives_gone": True},
                {"relation": "grandparent", "birth_date": f"{yr - 80}-04-01", "sex": "male",
                 "closer_relatives_gone": True},
                {"relation": "parent", "birth_date": f"{yr - 70}-04-01", "sex": "male",
                 "dependent_on_worker": False}]
        f = self.facts(incident__kind="order_accident", death={"died_at": died}, dependants=deps,
                       documents=death_docs)
        share = pct(D, 3000)
        self.covered("covered_death_dependants_order18",
                     f"Died of an order accident on {self.day}. {dnote}. Eight relatives listed, decided on Order No. 18 "
                     f"Art. 3 at the date of death: (1) husband, 58: a man under 60, not a dependant; (2) mother, "
                     f"55 that very day: a woman aged 55, 30%; (3) child, 18 that very day: not under 18, not a "
                     f"dependant; (4) child, 17 until 31 December: 30%; (5) child, 30, fully incapacitated: "
                     f"Art. 3 (一), 30%; (6) sibling, 12, parents reported gone but a parent is listed: Art. 3 "
                     f"(七) not met; (7) grandfather, 80, parents reported gone but a parent is listed: Art. 3 "
                     f"(五) not met; (8) father, 70, did not rely on the worker: not a dependant. Pension 3 × 30% "
                     f"× {yy(D)} = 3 × {yy(share)} = {yy(times(share, 3))}/month (not above {yy(D)}).",
                     f, "order_accident", with_pension(times(share, 3)),
                     dprov, False, ["dependant_not_eligible"] * 5)
        deps = [{"relation": "grandparent", "birth_date": f"{yr - 61}-04-01", "sex": "male",
                 "closer_relatives_gone": True, "lone_elderly": True},
                {"relation": "sibling", "birth_date": f"{yr - 15}-04-01", "closer_relatives_gone": True,
                 "orphan": True},
                {"relation": "grandchild", "birth_date": f"{yr - 5}-04-01", "closer_relatives_gone": False}]
        f = self.facts(incident__kind="order_accident", death={"died_at": died}, dependants=deps,
                       documents=death_docs)
        self.covered("covered_death_grandparent_and_sibling",
                     f"Died on {self.day}. {dnote}. Both parents dead (no parent listed): the grandfather, 61, Art. 3 (五), "
                     f"lone elderly: 30% + 10%; the sibling, 15, Art. 3 (七), an orphan: 30% + 10%; the grandchild, "
                     f"5, whose parent (the worker's child) is alive: Art. 3 (六) not met. Pension 2 × 40% × {yy(D)} = "
                     f"{yy(times(pct(D, 4000), 2))}/month.",
                     f, "order_accident", with_pension(times(pct(D, 4000), 2)),
                     dprov, False, ["dependant_not_eligible"])
        self.needs("death_dependant_sex_needed",
                   f"Died on {self.day}; the spouse is 57: eligible as a woman (55), not as a man (60), and no sex "
                   "is given: the decision asks for it before anything is paid.",
                   self.facts(death={"died_at": died}, documents=death_docs,
                              dependants=[{"relation": "spouse", "birth_date": f"{yr - 57}-01-01"}]),
                   ["dependant_facts_needed"], [])
        self.needs("death_dependant_birth_date_needed",
                   f"Died on {self.day}; a child is listed without a birth date and is not fully incapacitated: "
                   "the age decides, so the birth date is asked for.",
                   self.facts(death={"died_at": died}, documents=death_docs,
                              dependants=[{"relation": "child"}]),
                   ["dependant_facts_needed"], [])

        # Sudden illness: 48 hours of first treatment exactly, just after, and no treatment time.
        d48 = (dt.datetime.fromisoformat(f"{self.day}T10:50:00+08:00") + dt.timedelta(hours=48)).isoformat()
        f = self.facts(incident__kind="sudden_illness", death={"died_at": d48},
                       documents=BASE_DOCS + ["medical_receipts", "death_certificate"])
        self.covered("covered_sudden_illness_death_at_exactly_48h",
                     f"Collapsed at 10:15, first treated {self.day} 10:50, died {d48}: exactly 48 hours, which is "
                     f"'within 48 hours' (条例 Art. 15): covered. {dnote}. {death_desc}.",
                     f, "sudden_illness_death_within_48h", death_lines, dprov, False)
        d48_1 = (dt.datetime.fromisoformat(f"{self.day}T10:50:00+08:00")
                 + dt.timedelta(hours=48, minutes=1)).isoformat()
        self.refusal("sudden_illness_death_one_minute_after_48h",
                     f"First treated {self.day} 10:50, died {d48_1}: 48 hours and one minute, not within 48 hours "
                     "(条例 Art. 15): not covered.",
                     self.facts(incident__kind="sudden_illness", death={"died_at": d48_1},
                                documents=BASE_DOCS + ["medical_receipts", "death_certificate"]),
                     "illness_not_within_48h")
        d_once = f"{self.day}T10:40:00+08:00"
        f = self.facts(incident__kind="sudden_illness", death={"died_at": d_once}, medical__first_treatment_at=None,
                       medical__outpatient_fen=0, documents=BASE_DOCS + ["death_certificate"])
        self.covered("covered_sudden_illness_death_at_once",
                     f"Collapsed at 10:15 and died at 10:40 before any treatment (no first-treatment time): death "
                     f"within 48 hours of the onset is within 48 hours of any treatment: covered (条例 Art. 15). "
                     f"{dnote}. {death_desc}; no medical costs.",
                     f, "sudden_illness_death_within_48h",
                     [{"item": "one_off_death_subsidy", "amount_fen": 20 * I, "provisional": iprov},
                      {"item": "funeral_subsidy", "amount_fen": times(D, 6)}], dprov, False)
        d_late = f"{self.cal.add(self.day, 5)}T09:00:00+08:00"
        self.needs("sudden_illness_death_without_treatment_time",
                   f"Collapsed {self.day} 10:15, died {d_late}, more than 48 hours later, and no first-treatment "
                   "time is given: whether death came within 48 hours of treatment cannot be told, so the time is "
                   "asked for instead of paying.",
                   self.facts(incident__kind="sudden_illness", death={"died_at": d_late},
                              medical__first_treatment_at=None,
                              documents=BASE_DOCS + ["medical_receipts", "death_certificate"]),
                   ["first_treatment_time_needed"], [])

        # The wage base of a year not yet published stands in, provisional.
        if self.year < 2026:
            later = self.day.replace(str(yr), "2026", 1)
            lday = dt.date.fromisoformat(later)
            while not self.cal.working(lday):
                lday += dt.timedelta(1)
            later = lday.isoformat()
            W2, wname2, _, wused2 = r.w(2025)
            f = base_facts(r, later)
            f["assessment"]["disability_grade"] = 10
            f["documents"] = BASE_DOCS + ["medical_receipts", "disability_assessment"]
            due = self.cal.add(later, 30)
            self.add("covered_wage_base_stand_in",
                     f"Incident in 2026: W(2025) is not published, W({wused2}) = {W2} fen stands in and the line "
                     f"is provisional (预发). Grade 10: 7 × {W2} = {7 * W2} fen. Determination due 30 working days "
                     f"from {later} = {due}.",
                     f, {"outcome": "covered", "reasons": [{"code": "order_accident"}],
                         "benefits": [self.medical_line(120000, 0),
                                      {"item": "one_off_disability_subsidy", "amount_fen": 7 * W2,
                                       "provisional": True,
                                       "parameters": [{"name": wname2, "value": W2, "period": str(wused2),
                                                       "confidence": "provisional"},
                                                      {"name": "disability_subsidy_months.grade10", "value": 7}]}],
                         "provisional_parameters": [wname2], "due": {"determination": due, "payment": None}})

        # Exclusions.
        for flag, code in [("intentional_crime", "excluded_intentional_crime"),
                           ("intoxicated_or_drugged", "excluded_intoxication"),
                           ("self_harm", "excluded_self_harm")]:
            self.refusal(code, f"Exclusion {flag}: not covered, whatever else is true.",
                         self.facts(**{f"exclusions__{flag}": True}), code)

        # Outside the order task.
        self.refusal("outside_order_task_before_acceptance",
                     "Hurt at 09:55, before the order was accepted at 10:02: outside the order task.",
                     self.facts(incident__occurred_at=f"{self.day}T09:55:00+08:00"), "outside_order_task")
        self.refusal("outside_order_task_after_completion",
                     "Hurt at 11:30, after the order was completed at 10:48 (no commuting cover).",
                     self.facts(incident__occurred_at=f"{self.day}T11:30:00+08:00"), "outside_order_task")
        self.refusal("traffic_off_route",
                     "Traffic accident off any reasonable route of the task: outside the order task.",
                     self.facts(incident__kind="traffic_accident", incident__on_reasonable_route=False,
                                documents=BASE_DOCS + ["medical_receipts", "liability_finding"]),
                     "outside_order_task")
        for fault in ["primary", "full"]:
            self.refusal(f"traffic_{fault}_fault_refused",
                         f"Traffic accident with {fault} fault: not covered.",
                         self.facts(incident__kind="traffic_accident", incident__worker_fault=fault,
                                    documents=BASE_DOCS + ["medical_receipts", "liability_finding"]),
                         "traffic_primary_fault")
        self.needs("traffic_liability_undetermined",
                   "Traffic accident, liability not yet found: the liability finding is asked for.",
                   self.facts(incident__kind="traffic_accident", incident__worker_fault="undetermined"),
                   ["liability_undetermined"], ["liability_finding"])
        later = self.cal.add(self.day, 5)
        self.refusal("sudden_illness_death_after_48h",
                     f"Sudden illness, first treated {self.day} 10:50, died {later} (more than 48 h later): "
                     "not covered (the published Yancheng refusal).",
                     self.facts(incident__kind="sudden_illness", death={"died_at": f"{later}T09:00:00+08:00"},
                                documents=BASE_DOCS + ["medical_receipts", "death_certificate"]),
                     "illness_not_within_48h")
        self.refusal("sudden_illness_without_death", "Sudden illness, the worker recovered: not covered.",
                     self.facts(incident__kind="sudden_illness"), "illness_without_death")
        self.needs("other_situation_unclear", "Situation 'other': more information is needed.",
                   self.facts(incident__kind="other"), ["situation_unclear"], [])

        # Application on time.
        deadline = self.cal.add(self.day, 3)
        late = self.cal.add(self.day, 4)
        self.needs("late_platform_application",
                   f"Incident {self.day}; the platform's deadline is 3 working days later, {deadline}; it applied "
                   f"on {late} without a statement: the late-application statement is asked for.",
                   self.facts(application__applied_at=f"{late}T09:00:00+08:00"),
                   ["late_application"], ["late_application_statement"])
        f = self.facts(application__applied_at=f"{late}T09:00:00+08:00", application__late_statement=True,
                       documents=BASE_DOCS + ["medical_receipts", "late_application_statement"])
        self.covered("late_platform_application_with_statement",
                     f"Applied on {late}, after the deadline {deadline}, with the late-application statement: "
                     "decided as usual; medical 120000 fen.",
                     f, "order_accident", [self.medical_line(120000, 0)], [], True)
        on_time = (dt.date.fromisoformat(self.day) + dt.timedelta(30)).isoformat()
        f = self.facts(application__applicant="worker", application__applied_at=f"{on_time}T09:00:00+08:00")
        self.covered("worker_applies_within_30_days",
                     f"The worker applies himself on {on_time}, day 30 after the incident [P: 30 days]: on time.",
                     f, "order_accident", [self.medical_line(120000, 0)], [], True)
        too_late = (dt.date.fromisoformat(self.day) + dt.timedelta(31)).isoformat()
        self.needs("worker_applies_after_30_days",
                   f"The worker applies on {too_late}, day 31: late, the statement is asked for.",
                   self.facts(application__applicant="worker", application__applied_at=f"{too_late}T09:00:00+08:00"),
                   ["late_application"], ["late_application_statement"])

        # Documents: everything missing at once.
        self.needs("missing_documents_listed_at_once",
                   "Grade 9 claim with only the application form: every other required document is listed "
                   "in one supplement notice (一次性补正).",
                   self.facts(assessment__disability_grade=9, documents=["benefit_application_form"]),
                   ["missing_documents"],
                   [d for d in BASE_DOCS if d != "benefit_application_form"] + ["medical_receipts", "disability_assessment"])

        # Errors.
        start = dt.date.fromisoformat(r.start) - dt.timedelta(1)
        f = base_facts(r, start.isoformat())
        self.add("error_before_effective_window",
                 f"Incident on {start}, the day before the policy took effect ({r.start}): the module refuses to decide.",
                 f, error={"code": "outside_effective_window", "field": "incident.occurred_at"})
        other = "CN-SC" if r.code != "CN-SC" else "CN-BJ"
        self.add("error_wrong_region", f"Facts of {other} given to the {r.code} module.",
                 self.facts(region=other), error={"code": "wrong_region", "field": "region"})
        self.add("error_grade_out_of_range", "Disability grade 11 does not exist.",
                 self.facts(assessment__disability_grade=11),
                 error={"code": "invalid_facts", "field": "assessment.disability_grade"})

        self.regional()
        return self.cases

    def regional(self):
        if self.fast == "bj":
            f = self.facts(documents=["benefit_application_form", "consent_form", "diagnosis", "medical_receipts"])
            self.covered("fast_track_five_documents",
                         "Minor injury treated as an outpatient in Beijing: the fast track needs only the five "
                         "documents (no id card, order record or statement); medical 120000 fen.",
                         f, "order_accident", [self.medical_line(120000, 0)], [], True)
            f = self.facts(medical__treated_outside_region=True)
            self.covered("fast_track_not_outside_region",
                         "Treated outside Beijing: no fast track, the standard procedure applies.",
                         f, "order_accident", [self.medical_line(120000, 0)], [], True)
            f = self.facts(medical__inpatient_fen=500000, medical__inpatient_days=0,
                           documents=BASE_DOCS + ["medical_receipts"])
            self.covered("fast_track_not_inpatient",
                         "Inpatient costs: no fast track. Medical 1,200.00 + 5,000.00 = 6,200.00 yuan.",
                         f, "order_accident", [self.medical_line(120000, 500000)], [], True)
            self.needs("fast_track_traffic_needs_liability_finding",
                       "Fast track for a traffic accident still needs the liability finding.",
                       self.facts(incident__kind="traffic_accident", incident__worker_fault="equal",
                                  documents=["benefit_application_form", "consent_form", "diagnosis", "medical_receipts"]),
                       ["missing_documents"], ["liability_finding"])
        if self.fast == "hi":
            f = self.facts(medical__outpatient_fen=299999)
            self.covered("fast_track_below_3000",
                         "Outpatient 2,999.99 yuan, below 3,000: the fast track applies.",
                         f, "order_accident", [self.medical_line(299999, 0)], [], True)
            f = self.facts(medical__outpatient_fen=300000)
            self.covered("fast_track_not_at_3000",
                         "Outpatient exactly 3,000.00 yuan is not below 3,000: standard procedure.",
                         f, "order_accident", [self.medical_line(300000, 0)], [], True)


# In each cases/ folder: the names of the cases this script wrote (one per line).
GENERATED_INDEX = ".casegen"

DOC_ORDER = ["benefit_application_form", "consent_form", "id_card", "order_record",
             "incident_statement", "diagnosis", "medical_receipts", "liability_finding",
             "disability_assessment", "death_certificate", "kinship_proof",
             "late_application_statement"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("region")
    ap.add_argument("--params", default=os.path.join(HERE, "parameters.json"))
    ap.add_argument("--fast-track", choices=["bj", "hi"])
    ap.add_argument("--out", help="the cases folder (default: policies/<region>/cases)")
    a = ap.parse_args()
    params = load_params(a.params)
    missing = lacking(a.region, params)
    if missing:
        print(f"casegen: {os.path.relpath(a.params)} lacks what the cases of {a.region} are derived from "
              "(the figures of the crate's Region, each with its source):\n  " + "\n  ".join(missing),
              file=sys.stderr)
        return 2
    fast = a.fast_track or {"CN-BJ": "bj", "CN-HI": "hi"}.get(a.region)
    cases = Gen(a.region, params, fast).generate()
    out = a.out or os.path.join(HERE, "..", a.region.lower(), "cases")
    os.makedirs(out, exist_ok=True)
    # The names this script wrote last time, so that it replaces and removes only its own cases:
    # a hand-written case (any other file) is never touched.
    index = os.path.join(out, GENERATED_INDEX)
    before = set(open(index).read().split()) if os.path.exists(index) else set()
    kept = []
    for name in sorted(before - set(cases)):
        path = os.path.join(out, name + ".json")
        if os.path.exists(path):
            os.remove(path)
    for name, case in cases.items():
        path = os.path.join(out, name + ".json")
        if os.path.exists(path) and name not in before:
            kept.append(name)
            continue
        with open(path, "w") as fh:
            json.dump(case, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
    with open(index, "w") as fh:
        fh.write("".join(f"{n}\n" for n in sorted(set(cases) - set(kept))))
    for name in kept:
        print(f"kept {name}.json: a case of that name is not this script's", file=sys.stderr)
    print(f"{len(cases) - len(kept)} cases written to {os.path.relpath(out)}")


if __name__ == "__main__":
    sys.exit(main())
