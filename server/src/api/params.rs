//! Query parameters checked as the OpenAPI document states them: page sizes in range, region
//! codes from the list, texts within their length, dates real.

use crate::domain::REGIONS;
use crate::error::{Code, Error};
use oip_engine::types::Date;

/// A page size: `default` when absent, refused outside 1..=`max`.
pub(crate) fn limit(limit: Option<u64>, default: u64, max: u64) -> Result<u64, Error> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Error::field(
            Code::InvalidRequest,
            "limit",
            format!("from 1 to {max}"),
        )),
    }
}

/// A region code, when given.
pub(crate) fn region(field: &str, v: Option<String>) -> Result<Option<String>, Error> {
    match v {
        Some(r) if !REGIONS.contains(&r.as_str()) => Err(Error::field(
            Code::InvalidRequest,
            field,
            "an ISO 3166-2:CN code such as CN-SC",
        )),
        other => Ok(other),
    }
}

/// A text of at most `max` characters (and at least one), when given.
pub(crate) fn text(field: &str, v: Option<String>, max: usize) -> Result<Option<String>, Error> {
    match v {
        Some(t) if t.is_empty() || t.chars().count() > max => Err(Error::field(
            Code::InvalidRequest,
            field,
            format!("1 to {max} characters"),
        )),
        other => Ok(other),
    }
}

/// A date, when given.
pub(crate) fn date(field: &str, v: Option<&str>) -> Result<Option<Date>, Error> {
    v.map(|s| {
        Date::parse(s).map_err(|_| Error::field(Code::InvalidRequest, field, "a date, YYYY-MM-DD"))
    })
    .transpose()
}
