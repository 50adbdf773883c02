//! The command line's HTTP client: a server's base URL and a bearer token, answers read into
//! the API's views, errors shown with their code and fields.

use anyhow::{Context, anyhow, bail};
use clap::Args;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Where the server is and who calls it.
#[derive(Args, Clone, Debug)]
pub struct Remote {
    /// The server's base URL.
    #[arg(long, env = "OIP_SERVER", default_value = "http://127.0.0.1:8080")]
    pub(crate) server: String,
    /// A bearer token.
    #[arg(long, env = "OIP_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// More certificate authorities (PEM) to trust for an https:// server, beside the built-in
    /// roots (a deployment's own CA).
    #[arg(long, env = "OIP_CA_FILE")]
    pub(crate) ca_file: Option<std::path::PathBuf>,
}

/// The error body of an answer, as the CLI shows it.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    #[serde(default)]
    fields: Vec<FieldProblem>,
}

#[derive(serde::Deserialize)]
struct FieldProblem {
    path: String,
    problem: String,
}

/// A client of one server.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub(crate) fn new(r: &Remote) -> anyhow::Result<Client> {
        let token = r
            .token
            .clone()
            .ok_or_else(|| anyhow!("a token is required: --token or OIP_TOKEN"))?;
        Ok(Client {
            http: crate::config::with_ca_file(
                reqwest::Client::builder().timeout(Duration::from_secs(300)),
                r.ca_file.as_deref(),
            )?
            .build()?,
            base: r.server.trim_end_matches('/').to_string(),
            token,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> anyhow::Result<T> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.answer(path, req).await
    }

    /// Sends a request and reads its answer, or the error body as a message.
    async fn answer<T: DeserializeOwned>(
        &self,
        path: &str,
        req: reqwest::RequestBuilder,
    ) -> anyhow::Result<T> {
        let bytes = self.answer_bytes(req).await?;
        serde_json::from_slice(&bytes).with_context(|| format!("unexpected answer from {path}"))
    }

    /// Sends a request and reads its answer's bytes, or the error body as a message.
    async fn answer_bytes(
        &self,
        req: reqwest::RequestBuilder,
    ) -> anyhow::Result<axum::body::Bytes> {
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            let Ok(e) = serde_json::from_slice::<ErrorBody>(&bytes) else {
                bail!("{status}: {}", String::from_utf8_lossy(&bytes));
            };
            let mut msg = format!("{status}: {} ({})", e.error.message, e.error.code);
            for f in e.error.fields {
                msg.push_str(&format!("\n  {}: {}", f.path, f.problem));
            }
            bail!(msg);
        }
        Ok(bytes)
    }

    /// Sends a `PUT` whose answer has no body (204).
    pub(crate) async fn put_empty(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> anyhow::Result<()> {
        let req = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body);
        self.answer_bytes(req).await.map(|_| ())
    }

    /// Sends a `DELETE`: `None` when the answer has no body (204).
    pub(crate) async fn delete<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> anyhow::Result<Option<T>> {
        let req = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        let bytes = self.answer_bytes(req).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!("unexpected answer from {path}")
        })?))
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.call(reqwest::Method::GET, path, None::<&()>).await
    }

    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> anyhow::Result<T> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Posts a `multipart/form-data` body.
    pub(crate) async fn post_form<T: DeserializeOwned>(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> anyhow::Result<T> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .multipart(form);
        self.answer(path, req).await
    }
}
