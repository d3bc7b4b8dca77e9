//! The real server on a free port, driven by a real HTTP client.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use quantarya_adapter_http::rate_limit::RateLimitSettings;
use quantarya_adapter_http::{JwtConfig, mint_hs256};
use quantarya_ports::Journal;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::unique;

/// The HS256 secret every test server verifies with.
pub const TEST_SECRET: &str = "quantarya-test-secret-0123456789-abcdef";

/// The JWT configuration of test servers.
pub fn test_jwt() -> JwtConfig {
    JwtConfig { hs256_secret: Some(TEST_SECRET.as_bytes().to_vec()), ..JwtConfig::default() }
}

fn now_unix() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}

/// A running server and a client for it.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The client.
    pub client: reqwest::Client,
    handle: ServerHandle,
}

/// A response: status, and the body parsed as JSON (`Value::Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The `content-type` header.
    pub content_type: String,
    /// The body.
    pub body: Value,
    /// Whether it carries `Idempotent-Replayed: true` (answered from a receipt).
    pub replayed: bool,
    /// Every header.
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// `error.code` of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no error code>")
    }

    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The header `name`, if it came (once or more: the first).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// A string field of `data`.
    pub fn field(&self, name: &str) -> String {
        self.body["data"][name].as_str().unwrap_or_default().to_owned()
    }
}

/// A user with a profile: its id and bearer token.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The user id (`sub`).
    pub id: String,
    /// The user name.
    pub name: String,
    /// A valid user JWT.
    pub token: String,
}

impl TestApp {
    /// Starts the real server over `journal` on a free port of the loopback, without rate limits (the suites send
    /// many requests from one address; `spawn_limited` is for the cases about limits).
    pub async fn spawn(journal: Arc<dyn Journal>) -> Self {
        Self::spawn_limited(journal, &RateLimitSettings::off()).await
    }

    /// Starts the real server over `journal` with the budgets of `limits`.
    pub async fn spawn_limited(journal: Arc<dyn Journal>, limits: &RateLimitSettings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().expect("bound"));
        let (server, _) = quantarya_app::server(listener, journal, Some(2), limits).expect("server starts");
        let handle = server.handle();
        tokio::spawn(server);
        Self { base, client: reqwest::Client::new(), handle }
    }

    /// A user JWT for `sub`, valid for an hour.
    pub fn token(&self, sub: &str) -> String {
        mint_hs256(TEST_SECRET.as_bytes(), sub, &format!("{sub}@example.test"), now_unix(), 3600).expect("minted")
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    /// Sends a request with extra `headers`; `body` is sent as JSON when given.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request.send().await.expect("the server answers")).await
    }

    /// Sends a raw body with a content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request =
            self.client.request(method, format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::reply(request.send().await.expect("the server answers")).await
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, content_type, body, replayed, headers }
    }

    /// A new user with a profile.
    pub async fn user(&self) -> TestUser {
        let name = unique("h");
        let token = self.token(&name);
        let created =
            self.call(Method::POST, "/me", Some(&token), Some(serde_json::json!({ "user_name": name }))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        TestUser { id: name.clone(), name, token }
    }

    /// A strategy of `user`; its id.
    pub async fn strategy(&self, user: &TestUser) -> String {
        self.create(user, "/strategies", serde_json::json!({ "title": "Breakouts" }), "strategy_id").await
    }

    /// A new API key of `user`; the raw key.
    pub async fn api_key(&self, user: &TestUser) -> String {
        self.create(user, "/api-keys", serde_json::json!({ "key_name": "tv" }), "raw_api_key").await
    }

    /// Posts `body` to `path` as `user`, which must answer 201; the `field` of what it created.
    async fn create(&self, user: &TestUser, path: &str, body: Value, field: &str) -> String {
        let created = self.call(Method::POST, path, Some(&user.token), Some(body)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.field(field)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stops accepting at once; the runtime that ran it is going away with the test.
        drop(self.handle.stop(false));
    }
}
