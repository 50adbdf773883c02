//! Who among the listed relatives is a dependant entitled to a pension: 劳动保障部令第18号
//! (因工死亡职工供养亲属范围规定), Art. 3, decided on the facts at the worker's death.
//!
//! Art. 3: a relative of Art. 2 who relied on the worker for their main support and
//! (一) is fully without capacity to work; or is (二) the spouse or (三) a parent, a man aged 60 or
//! a woman aged 55; (四) a child under 18; (五) a grandparent (grandfather 60, grandmother 55)
//! when both of the worker's parents are dead; (六) a grandchild under 18 when the worker's
//! children are dead or fully incapacitated; (七) a sibling under 18 when both of the worker's
//! parents are dead or fully incapacitated. The orphan and lone-elderly supplement (条例
//! Art. 39) goes to eligible dependants only, and a reported status the other facts contradict
//! is not paid (a listed spouse is a living parent of the worker's children; a listed parent
//! has a living spouse when the other parent is listed too).

use crate::reasons::{self, ReasonDef};
use oip_types::{Date, Dependant, Facts, Reason, Relation, Sex, Text};

/// A listed relative found eligible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pensioner {
    /// Position in the facts' dependants.
    pub index: usize,
    /// Relation to the worker.
    pub relation: Relation,
    /// An orphan or a lone elderly person (the 10 % supplement).
    pub supplement: bool,
}

/// What the dependants' facts decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dependants {
    /// The eligible, in listed order.
    pub pensioners: Vec<Pensioner>,
    /// One reason per listed relative who is not eligible, saying why.
    pub not_eligible: Vec<Reason>,
    /// One reason per listed relative whose eligibility needs a fact not given.
    pub needed: Vec<Reason>,
}

/// Age in full years (周岁) on `on` of someone born on `birth`; a 29 February birthday falls
/// on 1 March in a common year.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let before_birthday = (on.month, on.day) < (birth.month, birth.day);
    on.year - birth.year - i32::from(before_birthday)
}

/// The age men and women must have reached (Art. 3 (二), (三), (五)).
const ELDERLY_AGE: (i32, i32) = (60, 55);
/// The age a child, grandchild or sibling must not have reached (Art. 3 (四), (六), (七)).
const MINOR_AGE: i32 = 18;

enum Finding {
    Eligible,
    NotEligible(String, String),
    Needs(String, String),
}

fn relation_text(r: Relation) -> (&'static str, &'static str) {
    match r {
        Relation::Spouse => ("配偶", "spouse"),
        Relation::Child => ("子女", "child"),
        Relation::Parent => ("父母", "parent"),
        Relation::Sibling => ("兄弟姐妹", "sibling"),
        Relation::Grandparent => ("祖父母或外祖父母", "grandparent"),
        Relation::Grandchild => ("孙子女或外孙子女", "grandchild"),
    }
}

/// Art. 3 (二), (三), (五): a man aged 60 or a woman aged 55.
fn elderly(age: i32, sex: Option<Sex>) -> Finding {
    let (men, women) = ELDERLY_AGE;
    match (age, sex) {
        (a, _) if a >= men => Finding::Eligible,
        (a, Some(Sex::Female)) if a >= women => Finding::Eligible,
        (a, None) if a >= women => Finding::Needs(
            format!("{a} 周岁，男性须年满 {men} 周岁、女性须年满 {women} 周岁，请补充性别"),
            format!("aged {a}: a man must be {men} and a woman {women}; the sex is needed"),
        ),
        (a, _) => Finding::NotEligible(
            format!("{a} 周岁，未达男 {men} 周岁、女 {women} 周岁，且未完全丧失劳动能力"),
            format!(
                "aged {a}, below {men} for a man or {women} for a woman, and not fully incapacitated"
            ),
        ),
    }
}

/// Art. 3 (四), (六), (七): under 18.
fn minor(age: i32) -> Finding {
    if age < MINOR_AGE {
        Finding::Eligible
    } else {
        Finding::NotEligible(
            format!("{age} 周岁，已年满 {MINOR_AGE} 周岁且未完全丧失劳动能力"),
            format!("aged {age}: {MINOR_AGE} or over and not fully incapacitated"),
        )
    }
}

fn finding(d: &Dependant, all: &[Dependant], died_on: Date) -> Finding {
    if !d.dependent_on_worker {
        return Finding::NotEligible(
            "生前未依靠职工提供主要生活来源".into(),
            "did not rely on the worker for their main support".into(),
        );
    }
    if d.fully_incapacitated {
        return Finding::Eligible;
    }
    let listed = |r: Relation| all.iter().filter(move |o| o.relation == r);
    // Art. 3 (五)-(七): the relatives between them and the worker must be gone, and a listed one
    // who is not (alive, or for (六) and (七) not fully incapacitated) contradicts it.
    let closer_gone = match d.relation {
        Relation::Grandparent => {
            Some(d.closer_relatives_gone && listed(Relation::Parent).next().is_none())
        }
        Relation::Sibling => {
            Some(d.closer_relatives_gone && listed(Relation::Parent).all(|p| p.fully_incapacitated))
        }
        Relation::Grandchild => {
            Some(d.closer_relatives_gone && listed(Relation::Child).all(|c| c.fully_incapacitated))
        }
        Relation::Spouse | Relation::Child | Relation::Parent => None,
    };
    if closer_gone == Some(false) {
        return Finding::NotEligible(
            match d.relation {
                Relation::Grandchild => "职工子女并非均已死亡或完全丧失劳动能力".into(),
                Relation::Sibling => "职工父母并非均已死亡或完全丧失劳动能力".into(),
                _ => "职工父母并非均已死亡".into(),
            },
            match d.relation {
                Relation::Grandchild => {
                    "the worker's children are not all dead or fully incapacitated".into()
                }
                Relation::Sibling => {
                    "the worker's parents are not both dead or fully incapacitated".into()
                }
                _ => "the worker's parents are not both dead".into(),
            },
        );
    }
    let Some(birth) = d.birth_date else {
        return Finding::Needs(
            "未完全丧失劳动能力，须按年龄认定，请补充出生日期".into(),
            "not fully incapacitated, so the age decides; the birth date is needed".into(),
        );
    };
    let age = age_on(birth, died_on);
    match d.relation {
        Relation::Spouse | Relation::Parent | Relation::Grandparent => elderly(age, d.sex),
        Relation::Child | Relation::Grandchild | Relation::Sibling => minor(age),
    }
}

/// The orphan or lone-elderly supplement, where the other facts do not contradict the report.
fn supplement(d: &Dependant, all: &[Dependant]) -> bool {
    let spouse_listed = all.iter().any(|o| o.relation == Relation::Spouse);
    let parents_listed = all
        .iter()
        .filter(|o| o.relation == Relation::Parent)
        .count();
    match d.relation {
        // The worker's spouse is the child's other parent: a living one is listed.
        Relation::Child => d.orphan && !spouse_listed,
        Relation::Grandchild | Relation::Sibling => d.orphan,
        // Both parents listed: each has a living spouse.
        Relation::Parent => d.lone_elderly && parents_listed < 2,
        Relation::Grandparent | Relation::Spouse => d.lone_elderly,
    }
}

fn reason(def: ReasonDef, index: usize, d: &Dependant, zh: &str, en: &str) -> Reason {
    let (rz, re) = relation_text(d.relation);
    let mut r = def.to_reason();
    r.text = Text::new(
        format!("{}第 {} 位（{rz}）：{zh}。", def.zh, index + 1),
        format!("{} Dependant {} ({re}): {en}.", def.en, index + 1),
    );
    r
}

/// Decides every listed relative of a deceased worker.
pub fn decide(facts: &Facts) -> Dependants {
    let Some(death) = &facts.death else {
        return Dependants::default();
    };
    let died_on = death.died_at.beijing_date();
    let all = &facts.dependants;
    let mut out = Dependants::default();
    for (index, d) in all.iter().enumerate() {
        match finding(d, all, died_on) {
            Finding::Eligible => out.pensioners.push(Pensioner {
                index,
                relation: d.relation,
                supplement: supplement(d, all),
            }),
            Finding::NotEligible(zh, en) => {
                out.not_eligible
                    .push(reason(reasons::DEPENDANT_NOT_ELIGIBLE, index, d, &zh, &en))
            }
            Finding::Needs(zh, en) => {
                out.needed
                    .push(reason(reasons::DEPENDANT_FACTS_NEEDED, index, d, &zh, &en))
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_full_years_and_a_leap_day_birthday_comes_on_the_first_of_march() {
        let d = |y, m, d| Date::new(y, m, d).unwrap();
        assert_eq!(age_on(d(1965, 8, 4), d(2025, 8, 4)), 60);
        assert_eq!(age_on(d(1965, 8, 5), d(2025, 8, 4)), 59);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }
}
