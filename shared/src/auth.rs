//! Authentication: who is calling. A bearer JWT is accepted only if
//! - its algorithm is one Hearth pins (HS256 with the shared secret; RS256 or
//!   ES256 with a key from the JWKS whose `kid` matches and whose own `alg`,
//!   when given, agrees),
//! - it carries `exp`, `sub` and `aud`, with `aud` as configured, `iss` as
//!   configured when one is, and no `nbf` in the future.
//!
//! The user is the token's `sub`; nothing else in a request can name a user.

use crate::config::{AuthConfig, Secret};
use crate::domain::ids::UserId;
use crate::domain::notices::AgeBand;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::RwLock;
use tokio::time::Instant;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's signing key is unknown")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("the token's subject is not a valid user id")]
    BadSubject,
    #[error("the signing keys could not be fetched")]
    KeysUnavailable,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    /// The other claims, where the configured age claim is looked up.
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

/// A verified caller: the token's `sub`, and the age band its configured
/// age claim gives, when it carries one Hearth can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    pub age_band: Option<AgeBand>,
}

/// Claims Hearth writes when it mints a token (`hearth token`).
#[derive(Debug, Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    iat: u64,
    exp: u64,
    role: &'static str,
}

/// Sign an HS256 token for `user`, valid for `ttl`.
pub fn mint_hs256(
    secret: &Secret,
    user: &UserId,
    audience: &str,
    issuer: Option<&str>,
    ttl: Duration,
) -> Result<String, AuthError> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let claims = MintClaims {
        sub: user.as_str(),
        aud: audience,
        iss: issuer,
        iat: now,
        exp: now + ttl.as_secs().max(1),
        role: "authenticated",
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .map_err(|e| AuthError::Invalid(e.to_string()))
}

struct JwksCache {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
}

/// Verifies bearer tokens. Built once per process; the JWKS is cached.
pub struct Authenticator {
    hs256: Option<DecodingKey>,
    jwks_url: Option<String>,
    audience: String,
    issuer: Option<String>,
    age_claim: String,
    refetch_cooldown: Duration,
    ttl: Duration,
    http: reqwest::Client,
    cache: RwLock<JwksCache>,
}

impl Authenticator {
    pub fn new(config: &AuthConfig, http: reqwest::Client) -> Self {
        Self {
            hs256: config
                .hs256_secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose().as_bytes())),
            jwks_url: config.jwks_url.clone(),
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            age_claim: config.age_claim.clone(),
            refetch_cooldown: config.jwks_refetch_cooldown,
            ttl: config.jwks_ttl,
            http,
            cache: RwLock::new(JwksCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
        }
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.algorithms = vec![alg];
        v.set_audience(&[&self.audience]);
        match &self.issuer {
            // A configured issuer must be present, not only right when present.
            Some(iss) => {
                v.set_issuer(&[iss]);
                v.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
            }
            None => v.set_required_spec_claims(&["exp", "sub", "aud"]),
        }
        v.validate_nbf = true;
        v.leeway = LEEWAY_SECS;
        v
    }

    /// Verify a bearer token and return the user it names.
    pub async fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        self.verify_caller(token).await.map(|c| c.user)
    }

    /// Verify a bearer token and return the user and the age band it
    /// claims. A claim Hearth cannot read (not `minor`, `adult` or
    /// `unknown`) is ignored, so the settings decide.
    pub async fn verify_caller(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("malformed token".into()))?;
        let (key, alg) = match header.alg {
            Algorithm::HS256 => match &self.hs256 {
                Some(k) => (k.clone(), Algorithm::HS256),
                None => return Err(AuthError::Algorithm),
            },
            Algorithm::RS256 | Algorithm::ES256 if self.jwks_url.is_some() => {
                let kid = header.kid.as_deref().ok_or(AuthError::UnknownKey)?;
                let (key, key_alg) = self.jwks_key(kid).await?;
                if key_alg != header.alg {
                    return Err(AuthError::Algorithm);
                }
                (key, key_alg)
            }
            _ => return Err(AuthError::Algorithm),
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation(alg))
            .map_err(|e| AuthError::Invalid(describe(&e)))?;
        let age_band = match data.claims.rest.get(&self.age_claim) {
            None => None,
            Some(v) => {
                let band = v.as_str().and_then(AgeBand::parse);
                if band.is_none() {
                    tracing::warn!(claim = %self.age_claim, "the token's age claim is not minor, adult or unknown; ignored");
                }
                band
            }
        };
        let user = UserId::parse(data.claims.sub).map_err(|_| AuthError::BadSubject)?;
        Ok(Caller { user, age_band })
    }

    async fn jwks_key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), AuthError> {
        let fresh = |c: &JwksCache| c.fetched_at.is_some_and(|t| t.elapsed() < self.ttl);
        {
            let cache = self.cache.read().await;
            if fresh(&cache)
                && let Some(found) = cache.keys.get(kid)
            {
                return Ok(found.clone());
            }
        }
        let mut cache = self.cache.write().await;
        if fresh(&cache)
            && let Some(found) = cache.keys.get(kid)
        {
            return Ok(found.clone()); // another request refetched meanwhile
        }
        // An unknown kid may be a key rotation, so refetch; but not more often
        // than the cooldown, so that bad tokens cannot hammer the JWKS host.
        let may_fetch = !fresh(&cache)
            || cache
                .fetched_at
                .is_none_or(|t| t.elapsed() >= self.refetch_cooldown);
        if may_fetch {
            cache.keys = self.fetch_jwks().await?;
            cache.fetched_at = Some(Instant::now());
        }
        cache.keys.get(kid).cloned().ok_or(AuthError::UnknownKey)
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, AuthError> {
        let url = self.jwks_url.as_deref().ok_or(AuthError::KeysUnavailable)?;
        let set: JwkSet = async {
            self.http
                .get(url)
                .timeout(Duration::from_secs(5))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await
        }
        .await
        .map_err(|e| {
            tracing::warn!(error = %e.without_url(), "JWKS fetch failed");
            AuthError::KeysUnavailable
        })?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            // The key's type decides the algorithm; a declared `alg` must agree.
            let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
                (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
                (AlgorithmParameters::EllipticCurve(_), None | Some(KeyAlgorithm::ES256)) => {
                    Algorithm::ES256
                }
                _ => continue,
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, (key, alg));
                }
                Err(e) => tracing::warn!(kid, error = %e, "skipping unusable JWK"),
            }
        }
        Ok(keys)
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "expired".into(),
        K::ImmatureSignature => "not valid yet (nbf)".into(),
        K::InvalidAudience => "wrong audience".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidSignature => "bad signature".into(),
        K::MissingRequiredClaim(c) => format!("missing claim {c}"),
        K::InvalidAlgorithm => "algorithm not accepted".into(),
        _ => "malformed token".into(),
    }
}
