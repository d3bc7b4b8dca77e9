//! User JWTs: verification with an algorithm allow-list (HS256 with a shared secret, RS256/ES256 with a public
//! key), and minting HS256 tokens for local use and tests.

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use quantarya_domain::{Email, UserId};
use quantarya_ports::outbound::{TokenError, TokenVerifier, VerifiedToken};
use serde::{Deserialize, Serialize};

/// How many seconds of clock difference `exp` and `nbf` tolerate.
pub const LEEWAY_SECONDS: u64 = 60;

/// Why a JWT configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JwtConfigError {
    /// Neither a secret nor a public key was configured.
    #[error("no JWT verification key is configured")]
    NoKey,
    /// The HS256 secret is too short to be safe.
    #[error("the HS256 secret must be at least 32 bytes")]
    WeakSecret,
    /// The public key is not an RSA or EC public key in PEM.
    #[error("the JWT public key is not an RSA or EC (P-256) public key in PEM")]
    BadPublicKey,
    /// Tokens from an identity provider, verified with its public key, must be checked for their audience, or
    /// tokens it issued for other applications would be accepted.
    #[error(
        "a JWT public key needs QUANTARYA_JWT_AUDIENCE: without it, tokens issued for other applications would be accepted"
    )]
    AudienceRequired,
}

/// What verification is configured with.
#[derive(Clone, Default)]
pub struct JwtConfig {
    /// The HS256 shared secret.
    pub hs256_secret: Option<Vec<u8>>,
    /// An RSA (RS256) or EC P-256 (ES256) public key in PEM.
    pub public_key_pem: Option<String>,
    /// The required `iss`, if any.
    pub issuer: Option<String>,
    /// The required `aud`, if any.
    pub audience: Option<String>,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "<redacted>"))
            .field("public_key_pem", &self.public_key_pem.is_some())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The claims Quantarya reads (and mints).
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<Audience>,
}

/// The `aud` claim: one audience or several, as RFC 7519 (section 4.1.3) allows. `jsonwebtoken` checks it against
/// the configured audience in either shape; this only lets the claims be read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Verifies user JWTs against the configured keys.
pub struct JwtVerifier {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<Algorithm> = self.keys.iter().map(|(a, _)| *a).collect();
        f.debug_struct("JwtVerifier").field("algorithms", &algorithms).finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for `config`: HS256 with the secret, RS256 or ES256 with the public key.
    pub fn new(config: &JwtConfig) -> Result<Self, JwtConfigError> {
        let mut keys = Vec::new();
        if let Some(secret) = &config.hs256_secret {
            if secret.len() < 32 {
                return Err(JwtConfigError::WeakSecret);
            }
            keys.push((Algorithm::HS256, DecodingKey::from_secret(secret)));
        }
        if let Some(pem) = &config.public_key_pem {
            let key = if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
                (Algorithm::RS256, key)
            } else if let Ok(key) = DecodingKey::from_ec_pem(pem.as_bytes()) {
                (Algorithm::ES256, key)
            } else {
                return Err(JwtConfigError::BadPublicKey);
            };
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(JwtConfigError::NoKey);
        }
        if config.public_key_pem.is_some() && config.audience.is_none() {
            return Err(JwtConfigError::AudienceRequired);
        }
        Ok(Self { keys, issuer: config.issuer.clone(), audience: config.audience.clone() })
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &self.issuer {
            Some(issuer) => {
                validation.set_issuer(&[issuer]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        // Without a configured audience, a token that names one is refused (it was issued for someone else).
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        // The header names the algorithm; only a configured one is tried, with its own key, so `none` and
        // algorithm confusion (an HS256 token "signed" with a public key) are refused.
        let header = decode_header(token).map_err(|_| TokenError::Invalid("malformed token"))?;
        let (algorithm, key) =
            self.keys.iter().find(|(a, _)| *a == header.alg).ok_or(TokenError::Invalid("algorithm not allowed"))?;
        let data = decode::<Claims>(token, key, &self.validation(*algorithm))
            .map_err(|_| TokenError::Invalid("signature or claims rejected"))?;
        let user_id = UserId::parse(&data.claims.sub).map_err(|_| TokenError::Invalid("bad sub claim"))?;
        let email = data.claims.email.ok_or(TokenError::Invalid("missing email claim"))?;
        let email = Email::parse(&email).map_err(|_| TokenError::Invalid("bad email claim"))?;
        Ok(VerifiedToken { user_id, email })
    }
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
#[error("could not sign the token")]
pub struct MintError(#[from] jsonwebtoken::errors::Error);

/// Mints an HS256 user JWT for `sub` and `email`, valid for `ttl` from `now_unix` (seconds since the epoch).
pub fn mint_hs256(secret: &[u8], sub: &str, email: &str, now_unix: u64, ttl_seconds: u64) -> Result<String, MintError> {
    mint_hs256_for(secret, sub, email, now_unix, ttl_seconds, None, None)
}

/// Like [`mint_hs256`], with the `iss` and `aud` claims a configured service requires.
pub fn mint_hs256_for(
    secret: &[u8],
    sub: &str,
    email: &str,
    now_unix: u64,
    ttl_seconds: u64,
    issuer: Option<&str>,
    audience: Option<&str>,
) -> Result<String, MintError> {
    let claims = Claims {
        sub: sub.to_owned(),
        email: Some(email.to_owned()),
        exp: now_unix + ttl_seconds,
        iat: Some(now_unix),
        iss: issuer.map(str::to_owned),
        aud: audience.map(|audience| Audience::One(audience.to_owned())),
    };
    Ok(encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
    }

    fn verifier() -> JwtVerifier {
        JwtVerifier::new(&JwtConfig { hs256_secret: Some(SECRET.to_vec()), ..Default::default() }).expect("valid")
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether `v` refuses `token` as invalid (a 401), not as a verification it could not make (a 503).
    async fn refuses(v: &JwtVerifier, token: &str) -> bool {
        matches!(v.verify(token).await, Err(TokenError::Invalid(_)))
    }

    #[tokio::test]
    async fn a_minted_token_verifies() {
        let token = mint_hs256(SECRET, "user-1", "a@b.c", now(), 3600).expect("minted");
        let verified = verifier().verify(&token).await.expect("valid");
        assert_eq!(verified.user_id.as_str(), "user-1");
        assert_eq!(verified.email.as_str(), "a@b.c");
    }

    #[tokio::test]
    async fn expired_foreign_and_unsigned_tokens_are_refused() {
        let v = verifier();
        let expired = mint_hs256(SECRET, "u", "a@b.c", now() - 7200, 3600).expect("minted");
        assert!(refuses(&v, &expired).await, "expired an hour ago");
        let recent = mint_hs256(SECRET, "u", "a@b.c", now() - 3630, 3600).expect("minted");
        assert!(v.verify(&recent).await.is_ok(), "30 s past exp is within the leeway");
        let foreign = mint_hs256(b"another-secret-another-secret-xx", "u", "a@b.c", now(), 3600).expect("minted");
        assert!(refuses(&v, &foreign).await, "wrong key");
        let claims = format!(r#"{{"sub":"u","email":"a@b.c","exp":{}}}"#, now() + 3600);
        let unsigned = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(claims.as_bytes()));
        assert!(refuses(&v, &unsigned).await, "alg none");
        let rs256 = format!("{}.{}.c2ln", b64(br#"{"alg":"RS256","typ":"JWT"}"#), b64(claims.as_bytes()));
        assert!(refuses(&v, &rs256).await, "an algorithm that is not configured");
        // A validly signed token whose `exp` is a string in the past (older jsonwebtoken skipped that check).
        let string_exp = encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "sub": "u", "email": "a@b.c", "exp": (now() - 7200).to_string() }),
            &EncodingKey::from_secret(SECRET),
        )
        .expect("minted");
        assert!(refuses(&v, &string_exp).await, "string exp");
        assert!(refuses(&v, "not a token").await);
    }

    #[tokio::test]
    async fn tokens_need_sub_and_email() {
        let no_email = encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "sub": "u", "exp": now() + 60 }),
            &EncodingKey::from_secret(SECRET),
        )
        .expect("minted");
        assert!(refuses(&verifier(), &no_email).await);
        let no_sub = encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "email": "a@b.c", "exp": now() + 60 }),
            &EncodingKey::from_secret(SECRET),
        )
        .expect("minted");
        assert!(refuses(&verifier(), &no_sub).await);
    }

    #[tokio::test]
    async fn issuer_and_audience_are_checked_when_configured() {
        let config = JwtConfig {
            hs256_secret: Some(SECRET.to_vec()),
            issuer: Some("https://id.example".into()),
            audience: Some("quantarya".into()),
            ..Default::default()
        };
        let v = JwtVerifier::new(&config).expect("valid");
        let sign = |claims: serde_json::Value| {
            encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).expect("minted")
        };
        let exp = now() + 60;
        let good =
            sign(serde_json::json!({"sub":"u","email":"a@b.c","exp":exp,"iss":"https://id.example","aud":"quantarya"}));
        assert!(v.verify(&good).await.is_ok());
        let wrong_aud =
            sign(serde_json::json!({"sub":"u","email":"a@b.c","exp":exp,"iss":"https://id.example","aud":"other"}));
        assert!(refuses(&v, &wrong_aud).await);
        let no_iss = sign(serde_json::json!({"sub":"u","email":"a@b.c","exp":exp,"aud":"quantarya"}));
        assert!(refuses(&v, &no_iss).await);
        // RFC 7519 allows an array: it passes when it holds the configured audience.
        let claims =
            |aud| serde_json::json!({"sub":"u","email":"a@b.c","exp":exp,"iss":"https://id.example","aud":aud});
        let among = sign(claims(serde_json::json!(["billing", "quantarya"])));
        assert!(v.verify(&among).await.is_ok(), "an array holding the audience");
        assert!(refuses(&v, &sign(claims(serde_json::json!(["billing", "other"])))).await);
        assert!(refuses(&v, &sign(claims(serde_json::json!([])))).await, "an empty array names no audience");
        assert!(refuses(&v, &sign(claims(serde_json::json!(7)))).await, "neither a string nor an array");
    }

    #[tokio::test]
    async fn exp_nbf_and_an_unexpected_audience_are_enforced() {
        let v = verifier();
        let sign = |claims: serde_json::Value| {
            encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).expect("minted")
        };
        assert!(refuses(&v, &sign(serde_json::json!({ "sub": "u", "email": "a@b.c" }))).await, "no exp");
        let later = now() + 600;
        let early = sign(serde_json::json!({ "sub": "u", "email": "a@b.c", "exp": later + 600, "nbf": later }));
        assert!(refuses(&v, &early).await, "not yet valid");
        let for_others = sign(serde_json::json!({ "sub": "u", "email": "a@b.c", "exp": later, "aud": "other-app" }));
        assert!(refuses(&v, &for_others).await, "a token for another audience");
        let minted = mint_hs256_for(SECRET, "u", "a@b.c", now(), 60, Some("https://id.example"), Some("quantarya"))
            .expect("minted");
        let configured = JwtVerifier::new(&JwtConfig {
            hs256_secret: Some(SECRET.to_vec()),
            issuer: Some("https://id.example".into()),
            audience: Some("quantarya".into()),
            ..Default::default()
        })
        .expect("valid");
        assert!(configured.verify(&minted).await.is_ok());
    }

    #[test]
    fn a_public_key_needs_an_audience() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9\nq9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==\n-----END PUBLIC KEY-----\n";
        let config = JwtConfig { public_key_pem: Some(pem.to_owned()), ..Default::default() };
        assert!(matches!(JwtVerifier::new(&config), Err(JwtConfigError::AudienceRequired)));
        let config = JwtConfig { audience: Some("quantarya".into()), ..config };
        assert!(JwtVerifier::new(&config).is_ok(), "an EC P-256 key with an audience");
    }

    #[test]
    fn weak_or_missing_keys_are_refused_and_secrets_never_printed() {
        assert!(matches!(JwtVerifier::new(&JwtConfig::default()), Err(JwtConfigError::NoKey)));
        let weak = JwtConfig { hs256_secret: Some(b"short".to_vec()), ..Default::default() };
        assert!(matches!(JwtVerifier::new(&weak), Err(JwtConfigError::WeakSecret)));
        let config = JwtConfig { hs256_secret: Some(SECRET.to_vec()), ..Default::default() };
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }
}
