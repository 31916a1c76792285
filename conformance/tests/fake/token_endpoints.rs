//! The token endpoints: obtain, refresh and verify, in both dialects.

use hyper::Method;
use serde_json::{Map, Value, json};

use super::{
    App, Defect, Rotation,
    http::{Data, Field, Reply},
    routes::{Dialect, Req, TokenEndpoint},
    tokens::{Refusal, Use},
};

const TOKEN_METHODS: &str = "POST, OPTIONS";

impl App {
    /// POST /gettoken/, /tokenrefresh/, /verifytoken/ and their v1 twins.
    pub fn token_endpoint(
        &self,
        endpoint: TokenEndpoint,
        dialect: Dialect,
        req: &Req<'_>,
    ) -> Result<Reply, Reply> {
        match *req.method {
            Method::POST => {}
            Method::OPTIONS if !self.has(Defect::OptionsListedButRefused) => {
                return Ok(Reply::json(200, json!({})).with("allow", TOKEN_METHODS));
            }
            Method::GET if self.has(Defect::GetOnTokenEndpointIs200) => {
                return Ok(Reply::detail(200, "Send your credentials with POST."));
            }
            ref other => return Err(self.method_not_allowed(other, TOKEN_METHODS)),
        }
        let data = self.parse(req.content_type(), &req.body)?;
        match endpoint {
            TokenEndpoint::Obtain => self.obtain(dialect, &data),
            TokenEndpoint::Refresh => self.refresh(dialect, &data),
            TokenEndpoint::Verify => self.verify(dialect, &data),
        }
    }

    /// Trades credentials for a token pair.
    fn obtain(&self, dialect: Dialect, data: &Data) -> Result<Reply, Reply> {
        let login_field = match dialect {
            Dialect::Classic => "username",
            Dialect::Simplejwt => "email",
        };
        if self.has(Defect::MissingFieldsAsNonFieldErrors)
            && let Data::Fields(m) = data
            && !(m.contains_key(login_field) && m.contains_key("password"))
        {
            return Err(Reply::json(
                400,
                json!({"non_field_errors": [format!("Must include \"{login_field}\" and \"password\".")]}),
            ));
        }
        let [login, password] = self.validate(
            data,
            [
                (login_field, Field::Credential),
                ("password", Field::Credential),
            ],
        )?;
        let (login, mut password) = (login.unwrap_or_default(), password.unwrap_or_default());
        if self.has(Defect::PasswordNotTrimmed)
            && let Data::Fields(m) = data
            && let Some(raw) = m.get("password").and_then(Value::as_str)
        {
            password = raw.to_string();
        }
        let ignore_case = self.has(Defect::LoginCaseInsensitive);
        let user = self
            .store
            .user_by(login_field, &login, ignore_case)
            .or_else(|| {
                (dialect == Dialect::Simplejwt && self.has(Defect::EmailFieldTakesUsername))
                    .then(|| self.store.user_by("username", &login, ignore_case))
                    .flatten()
            });
        let Some(user) = user.filter(|u| {
            (u.password == password
                || self.has(Defect::LoginIgnoresPassword)
                || (self.has(Defect::PasswordCaseInsensitive)
                    && u.password.eq_ignore_ascii_case(&password)))
                && (u.active || self.has(Defect::InactiveCanLogIn))
        }) else {
            if user.is_none() && self.has(Defect::UnknownLoginSaysSo) {
                return Err(Reply::json(
                    400,
                    json!({ login_field: ["No account has this login."] }),
                ));
            }
            return Err(self.bad_credentials(dialect));
        };
        let (access, refresh) = self.mint_pair(&user);
        if let Some(jti) = claim(&refresh, "jti") {
            self.store.remember_login(&jti);
        }
        let pairs_remembered =
            self.has(Defect::StaleAccessOnRefresh) || self.has(Defect::RefreshDiesWithAccess);
        if pairs_remembered && let Some(jti) = claim(&refresh, "jti") {
            self.store.remember_access(&jti, &access);
        }
        Ok(Reply::json(
            200,
            json!({"refresh": refresh, "access": access}),
        ))
    }

    /// The same answer for a wrong password, an unknown login and an inactive account.
    fn bad_credentials(&self, dialect: Dialect) -> Reply {
        match dialect {
            Dialect::Simplejwt if !self.has(Defect::CredentialsErrorOfTheOtherDialect) => {
                Reply::detail(401, "No active account found with the given credentials")
            }
            _ => Reply::json(
                400,
                json!({"non_field_errors": ["Unable to log in with provided credentials."]}),
            ),
        }
    }

    /// Trades a refresh token for a new access token (and, rotating, a new refresh token).
    fn refresh(&self, dialect: Dialect, data: &Data) -> Result<Reply, Reply> {
        let [token] = self.validate(data, [("refresh", Field::Token)])?;
        let refused = |why| self.refused(Use::Refresh, dialect, why);
        let claims = self
            .check(&token.unwrap_or_default(), Use::Refresh)
            .map_err(refused)?;
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let blacklisting = self.rotation == Rotation::WithBlacklist;
        if blacklisting && self.blacklisted(jti) && !self.has(Defect::BlacklistIgnored) {
            return Err(refused(Refusal::Blacklisted));
        }
        let user = match claims.get("user_id") {
            // Only a string id is looked up; any other value is taken at its word.
            Some(Value::Number(n)) if self.has(Defect::RefreshLooksUpStringIdsOnly) => {
                super::Account {
                    id: n.as_u64().unwrap_or_default(),
                    ..super::ALICE
                }
            }
            _ => self.user_of(&claims).map_err(refused)?,
        };
        if self.has(Defect::RefreshDiesWithAccess)
            && let Some(access) = self.store.access_issued_with(jti)
            && self.check(&access, Use::Verify).is_err()
        {
            return Err(refused(Refusal::Invalid));
        }
        let cached = if self.has(Defect::StaleAccessOnRefresh) {
            self.store.access_issued_with(jti)
        } else {
            None
        };
        let user_id = user.id.to_string();
        let access = cached.unwrap_or_else(|| self.mint_on_refresh("access", &user_id, &claims));
        let mut body = json!({ "access": access });
        if blacklisting && !self.has(Defect::NoRotation) {
            body["refresh"] = json!(self.mint_on_refresh("refresh", &user_id, &claims));
            if !self.has(Defect::BlacklistOnlyLoginTokens) || self.store.issued_at_login(jti) {
                self.store.blacklist(jti);
            }
        }
        Ok(Reply::json(200, body))
    }

    /// Whether a refresh token was rotated away (a defect forgets that early).
    fn blacklisted(&self, jti: &str) -> bool {
        let lifetime = if self.has(Defect::BlacklistForgetsEarly) {
            Some(super::ACCESS_LIFETIME)
        } else if self.has(Defect::BlacklistForgetsInLastSecond) {
            Some(super::REFRESH_LIFETIME - 2)
        } else {
            None
        };
        let memory = lifetime.map(|s| std::time::Duration::from_secs(s.unsigned_abs()));
        self.store.is_blacklisted(jti, memory)
    }

    /// Every refused token, at every endpoint, in the words of the endpoint's dialect.
    pub fn refused(&self, at: Use, dialect: Dialect, why: Refusal) -> Reply {
        let classic = match at {
            Use::Refresh => {
                dialect == Dialect::Classic || self.has(Defect::RefreshErrorsOfTheOtherDialect)
            }
            Use::Verify => {
                dialect == Dialect::Classic || self.has(Defect::VerifyErrorsOfTheOtherDialect)
            }
            // Protected endpoints answer like simplejwt's JWTAuthentication in both layouts.
            Use::Authenticate => false,
        };
        let token_not_valid = json!({"detail": why.message(), "code": "token_not_valid"});
        match (at, why) {
            (_, Refusal::Crashed) => Reply::detail(500, why.message()),
            (Use::Refresh, Refusal::Expired) if classic => {
                Reply::json(400, json!({"refresh": ["The given token is expired."]}))
            }
            (Use::Refresh, _) if classic => {
                Reply::json(400, json!({"refresh": ["The given token is invalid."]}))
            }
            (Use::Verify, _) if classic => {
                Reply::json(400, json!({"token": ["Token is invalid or expired."]}))
            }
            // Stock simplejwt's verify reports a blacklisted token as a validation error.
            (Use::Verify, Refusal::Blacklisted) => {
                Reply::json(400, json!({"non_field_errors": [why.message()]}))
            }
            (Use::Refresh, Refusal::InactiveUser) => {
                Reply::detail(401, "No active account found for the given token.")
            }
            (Use::Refresh | Use::Authenticate, Refusal::UnknownUser) => Reply::json(
                401,
                json!({"detail": why.message(), "code": "user_not_found"}),
            ),
            (Use::Authenticate, Refusal::InactiveUser) => Reply::json(
                401,
                json!({"detail": why.message(), "code": "user_inactive"}),
            ),
            (Use::Authenticate, Refusal::NoUser) | (Use::Refresh | Use::Verify, _) => {
                Reply::json(401, token_not_valid)
            }
            (Use::Authenticate, _) => Reply::json(
                401,
                json!({
                    "detail": "Given token not valid for any token type",
                    "code": "token_not_valid",
                    "messages": [{"token_class": "AccessToken", "token_type": "access", "message": why.message()}],
                }),
            ),
        }
    }

    /// Says whether a token is genuine and unexpired; any token type, no user lookup.
    fn verify(&self, dialect: Dialect, data: &Data) -> Result<Reply, Reply> {
        let [token] = self.validate(data, [("token", Field::Token)])?;
        let refused = |why| self.refused(Use::Verify, dialect, why);
        let claims = self
            .check(&token.unwrap_or_default(), Use::Verify)
            .map_err(refused)?;
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if self.rotation == Rotation::WithBlacklist
            && self.blacklisted(jti)
            && !self.has(Defect::BlacklistedVerifies)
            && !self.has(Defect::VerifyChecksSignatureOnly)
        {
            return Err(refused(Refusal::Blacklisted));
        }
        let valid = (dialect == Dialect::Classic
            && !self.has(Defect::ClassicVerifyAnswersEmptyObject))
            || self.has(Defect::VerifyBodyOfTheOtherDialect);
        Ok(Reply::json(
            200,
            if valid {
                json!({"status": "valid"})
            } else {
                json!({})
            },
        ))
    }
}

/// A claim of a token the fake minted itself (no checks).
fn claim(token: &str, name: &str) -> Option<String> {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
    let payload = token.split('.').nth(1)?;
    let claims: Map<String, Value> = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    claims.get(name)?.as_str().map(str::to_string)
}
