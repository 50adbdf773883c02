//! The typed client: the API's answers read into its own views (`oip_server::api::views`), so a
//! test that breaks the contract fails to read, not only to compare.

use crate::TestServer;
use oip_server::api::views::{ClaimView, QueueView, ReviewedView};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// An error answer: its status and body.
#[derive(Debug)]
pub struct Refused {
    /// The status.
    pub status: StatusCode,
    /// The body (`{ "error": { "code", ... } }`).
    pub body: Value,
}

impl Refused {
    /// The error's stable code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The paths of the fields at fault.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["path"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestServer {
    /// A call whose success is read into `T`.
    pub async fn typed<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        key: Option<&str>,
    ) -> Result<(StatusCode, T), Refused> {
        let body = body.map(|b| serde_json::to_value(b).expect("a body serializes"));
        let (status, v) = self.call(method, path, token, body, key).await;
        if !status.is_success() {
            return Err(Refused { status, body: v });
        }
        let t = serde_json::from_value(v.clone()).unwrap_or_else(|e| {
            panic!("{method} {path}: the answer does not read as its view: {e}\n{v}")
        });
        Ok((status, t))
    }

    /// Submits a claim report.
    pub async fn submit_claim(
        &self,
        token: &str,
        key: &str,
        report: &Value,
    ) -> Result<(StatusCode, ClaimView), Refused> {
        self.typed("POST", "/v1/claims", token, Some(report), Some(key))
            .await
    }

    /// Reads a claim.
    pub async fn claim(&self, token: &str, id: &str) -> Result<ClaimView, Refused> {
        self.typed("GET", &format!("/v1/claims/{id}"), token, None::<&()>, None)
            .await
            .map(|(_, c)| c)
    }

    /// Reviews a claim.
    pub async fn review_claim(
        &self,
        token: &str,
        id: &str,
        req: &oip_server::review::ReviewRequest,
    ) -> Result<ReviewedView, Refused> {
        self.typed(
            "POST",
            &format!("/v1/claims/{id}/review"),
            token,
            Some(req),
            None,
        )
        .await
        .map(|(_, r)| r)
    }

    /// A page of the adjuster's queue (`query` without the `?`).
    pub async fn queue(&self, token: &str, query: &str) -> Result<QueueView, Refused> {
        self.typed(
            "GET",
            &format!("/v1/review/queue?{query}"),
            token,
            None::<&()>,
            None,
        )
        .await
        .map(|(_, q)| q)
    }
}
