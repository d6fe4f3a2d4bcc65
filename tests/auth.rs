//! Authentication cases over HTTP: HS256 with the shared secret, RS256 and
//! ES256 through a fake JWKS server, and every way a token must be refused.

use base64::Engine;
use hearth_tests::*;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RSA_A: &[u8] = include_bytes!("fixtures/rsa-a.pem");
const RSA_A_PUB: &[u8] = include_bytes!("fixtures/rsa-a.pub.pem");
const RSA_B: &[u8] = include_bytes!("fixtures/rsa-b.pem");
const EC_A: &[u8] = include_bytes!("fixtures/ec-a.pem");

fn rsa(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem).unwrap()
}

fn ec(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_ec_pem(pem).unwrap()
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

fn header(alg: Algorithm, kid: &str) -> Header {
    let mut h = Header::new(alg);
    h.kid = Some(kid.into());
    h
}

async fn status_for(app: &TestApp, token: &str) -> u16 {
    let (status, body) = app.get(token, "/v1/sessions").await;
    if status == 401 {
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    status
}

async fn jwks_server(keys: Vec<Jwk>) -> MockServer {
    let server = MockServer::start().await;
    mount_jwks(&server, keys).await;
    server
}

async fn mount_jwks(server: &MockServer, keys: Vec<Jwk>) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(JwkSet { keys }))
        .mount(server)
        .await;
}

async fn app_with_jwks(jwks: &MockServer) -> TestApp {
    TestApp::start_with(Options {
        env: vec![(
            "HEARTH_JWKS_URL",
            format!("{}/.well-known/jwks.json", jwks.uri()),
        )],
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_valid_hs256_token_is_accepted_and_names_the_user() {
    let app = TestApp::start().await;
    anthropic_answers(app.anthropic(), "hi").await;
    assert_eq!(status_for(&app, &app.token("alice")).await, 200);
    let (_, turn) = app
        .chat(&app.token("alice"), json!({"message": "hi"}))
        .await;
    let session = turn["session_id"].as_str().unwrap();
    // The same person through a different token still owns the session.
    let again = token_with(json!({"sub": "alice", "exp": chrono::Utc::now().timestamp() + 60}));
    let (status, _) = app
        .get(&again, &format!("/v1/sessions/{session}/messages"))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_hs256_tokens_are_refused() {
    let app = TestApp::start().await;
    let now = chrono::Utc::now().timestamp();
    let cases = [
        (
            "expired",
            token_with(json!({"sub": "a", "exp": now - 3600})),
        ),
        (
            "wrong audience",
            token_with(json!({"sub": "a", "aud": "someone-else"})),
        ),
        ("missing sub", token_with(json!({"sub": null}))),
        ("empty sub", token_with(json!({"sub": ""}))),
        ("missing exp", token_with(json!({"sub": "a", "exp": null}))),
        ("missing aud", token_with(json!({"sub": "a", "aud": null}))),
        (
            "nbf in the future",
            token_with(json!({"sub": "a", "nbf": now + 3600})),
        ),
        (
            "wrong signature",
            sign(
                Header::new(Algorithm::HS256),
                json!({"sub": "a"}),
                &EncodingKey::from_secret(b"not-the-secret"),
            ),
        ),
        (
            "HS512 is not pinned",
            sign(
                Header::new(Algorithm::HS512),
                json!({"sub": "a"}),
                &EncodingKey::from_secret(SECRET.as_bytes()),
            ),
        ),
        (
            "RS256 without a JWKS",
            sign(
                header(Algorithm::RS256, "k1"),
                json!({"sub": "a"}),
                &rsa(RSA_A),
            ),
        ),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (name, token) in cases {
        assert_eq!(status_for(&app, &token).await, 401, "{name}");
    }
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = TestApp::start().await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let exp = chrono::Utc::now().timestamp() + 3600;
    let body = b64.encode(json!({"sub": "a", "aud": "authenticated", "exp": exp}).to_string());
    for token in [format!("{head}.{body}."), format!("{head}.{body}")] {
        assert_eq!(status_for(&app, &token).await, 401);
    }
}

#[tokio::test]
async fn the_issuer_is_checked_when_configured() {
    let app = TestApp::start_with(Options {
        env: vec![("HEARTH_JWT_ISSUER", "https://auth.example.com".into())],
        ..Options::default()
    })
    .await;
    let good = token_with(json!({"sub": "a", "iss": "https://auth.example.com"}));
    let bad = token_with(json!({"sub": "a", "iss": "https://evil.example.com"}));
    let none = token_with(json!({"sub": "a"}));
    assert_eq!(status_for(&app, &good).await, 200);
    assert_eq!(status_for(&app, &bad).await, 401);
    assert_eq!(status_for(&app, &none).await, 401);
}

#[tokio::test]
async fn jwks_tokens_are_accepted_by_kid_and_cached() {
    let (ra, ea) = (rsa(RSA_A), ec(EC_A));
    let jwks = jwks_server(vec![
        jwk(&ra, Algorithm::RS256, "rsa-1"),
        jwk(&ea, Algorithm::ES256, "ec-1"),
    ])
    .await;
    let app = app_with_jwks(&jwks).await;
    let rs = sign(
        header(Algorithm::RS256, "rsa-1"),
        json!({"sub": "alice"}),
        &ra,
    );
    let es = sign(
        header(Algorithm::ES256, "ec-1"),
        json!({"sub": "alice"}),
        &ea,
    );
    assert_eq!(status_for(&app, &rs).await, 200);
    assert_eq!(status_for(&app, &es).await, 200);
    assert_eq!(status_for(&app, &rs).await, 200);
    assert_eq!(
        jwks.received_requests().await.unwrap().len(),
        1,
        "the JWKS is cached"
    );
    // HS256 with the shared secret still works alongside the JWKS.
    assert_eq!(status_for(&app, &app.token("alice")).await, 200);
}

#[tokio::test]
async fn jwks_tokens_with_bad_keys_or_claims_are_refused() {
    let ra = rsa(RSA_A);
    let jwks = jwks_server(vec![jwk(&ra, Algorithm::RS256, "rsa-1")]).await;
    let app = app_with_jwks(&jwks).await;
    let now = chrono::Utc::now().timestamp();
    let cases = [
        (
            "unknown kid",
            sign(header(Algorithm::RS256, "nope"), json!({"sub": "a"}), &ra),
        ),
        (
            "no kid",
            sign(Header::new(Algorithm::RS256), json!({"sub": "a"}), &ra),
        ),
        (
            "signed by another key",
            sign(
                header(Algorithm::RS256, "rsa-1"),
                json!({"sub": "a"}),
                &rsa(RSA_B),
            ),
        ),
        (
            "kid of an RSA key with ES256",
            sign(
                header(Algorithm::ES256, "rsa-1"),
                json!({"sub": "a"}),
                &ec(EC_A),
            ),
        ),
        (
            "expired",
            sign(
                header(Algorithm::RS256, "rsa-1"),
                json!({"sub": "a", "exp": now - 600}),
                &ra,
            ),
        ),
        (
            "wrong audience",
            sign(
                header(Algorithm::RS256, "rsa-1"),
                json!({"sub": "a", "aud": "x"}),
                &ra,
            ),
        ),
        (
            "missing sub",
            sign(header(Algorithm::RS256, "rsa-1"), json!({"sub": null}), &ra),
        ),
        // The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
        (
            "HS/RS confusion",
            sign(
                header(Algorithm::HS256, "rsa-1"),
                json!({"sub": "a"}),
                &EncodingKey::from_secret(RSA_A_PUB),
            ),
        ),
    ];
    for (name, token) in cases {
        assert_eq!(status_for(&app, &token).await, 401, "{name}");
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_for_a_rotated_key() {
    let (ra, rb) = (rsa(RSA_A), rsa(RSA_B));
    let jwks = jwks_server(vec![jwk(&ra, Algorithm::RS256, "2026-10")]).await;
    let app = app_with_jwks(&jwks).await;
    let old = sign(
        header(Algorithm::RS256, "2026-10"),
        json!({"sub": "alice"}),
        &ra,
    );
    let new = sign(
        header(Algorithm::RS256, "2026-11"),
        json!({"sub": "alice"}),
        &rb,
    );
    assert_eq!(status_for(&app, &old).await, 200);
    assert_eq!(status_for(&app, &new).await, 401, "not published yet");
    mount_jwks(
        &jwks,
        vec![
            jwk(&ra, Algorithm::RS256, "2026-10"),
            jwk(&rb, Algorithm::RS256, "2026-11"),
        ],
    )
    .await;
    assert_eq!(
        status_for(&app, &new).await,
        200,
        "refetched on the unknown kid"
    );
    assert_eq!(status_for(&app, &old).await, 200);
}
