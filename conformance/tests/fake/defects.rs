//! The defects the fake can carry: one variant per bug, its doc line saying what is wrong.

bugs! {
    /// One deliberate bug of the fake.
    pub enum Defect {
        // ----- obtaining tokens
        /// Login gives a token pair for the right login with any password.
        LoginIgnoresPassword,
        /// Login with an unknown login says that the account does not exist (user enumeration).
        UnknownLoginSaysSo,
        /// An inactive account can log in.
        InactiveCanLogIn,
        /// Missing login fields get one `non_field_errors` message instead of an error per field.
        MissingFieldsAsNonFieldErrors,
        /// The simplejwt dialect refuses bad credentials with the classic 400 body.
        CredentialsErrorOfTheOtherDialect,
        /// A JSON boolean, object or array where a string belongs crashes the field validation (500).
        NonStringFieldCrashes,
        /// An empty body typed `text/plain` is refused as unsupported (415) instead of read as no data.
        EmptyTextBodyIs415,
        /// A NUL character in a field crashes the request (500), as it does in a Postgres query.
        NulByteCrashes,

        // ----- HTTP hygiene
        /// Malformed JSON crashes the request (500) instead of getting a 400 parse error.
        MalformedJsonIs500,
        /// A body of an unsupported media type gets 400 instead of 415.
        UnsupportedMediaTypeIs400,
        /// 405 responses carry no `Allow` header.
        MethodNotAllowedWithoutAllow,
        /// GET on a token endpoint answers 200 (a login form) instead of 405.
        GetOnTokenEndpointIs200,
        /// A body over the limit crashes the request (500) instead of getting a 413.
        OversizedBodyIs500,
        /// A body over the limit gets a 413 unread, and the connection is closed.
        OversizedBodyClosesConnection,
        /// A request with a malformed chunked body gets no answer: the connection is dropped.
        BadChunkDropsConnection,
        /// A request whose head cannot be parsed gets no answer: the connection is closed.
        MalformedRequestsDropped,
        /// 401 responses carry no `WWW-Authenticate` header.
        UnauthorizedWithoutChallenge,
        /// 204 responses carry a JSON body (as source document 000 shows), written on the wire past hyper.
        BodyOn204,

        // ----- refreshing
        /// The refresh endpoint accepts an access token.
        AccessTokenRefreshes,
        /// The refresh endpoint never checks `exp`: expired refresh tokens refresh.
        ExpiredRefreshAccepted,
        /// Refresh hands back the access token issued at login (cached), not a new one.
        StaleAccessOnRefresh,
        /// The access token minted by refresh has no `jti`.
        RefreshedAccessWithoutJti,
        /// The simplejwt dialect refuses bad refresh tokens with the classic 400 body.
        RefreshErrorsOfTheOtherDialect,
        /// Token fields get no field validation: missing, blank, null or not a string, each is "invalid".
        TokenFieldNotValidated,
        /// Rotation is on, but refresh returns no new refresh token.
        NoRotation,
        /// Blacklist-after-rotation is on, but a refresh token traded in keeps working.
        BlacklistIgnored,
        /// A refresh token is refused once the access token issued with it has expired.
        RefreshDiesWithAccess,

        // ----- verifying
        /// Verify checks the signature only: expired tokens, no `exp`, no `jti`, future `nbf` all pass.
        VerifyChecksSignatureOnly,
        /// The simplejwt dialect answers a valid token with the classic `{"status": "valid"}`.
        VerifyBodyOfTheOtherDialect,

        // ----- authenticating
        /// Tokens with `alg: none` (in any case) are accepted without a valid signature.
        AlgNoneAccepted,
        /// The signature is never checked: edited, unsigned and re-signed tokens all pass.
        SignatureNotChecked,
        /// Any 32-byte signature passes, so tokens signed with another key are accepted.
        AnyWellFormedSignature,
        /// The signature is checked only if there is one: a token of two segments passes.
        SignatureCheckedIfPresent,
        /// HS384 and HS512 are accepted besides HS256, as the token's header asks.
        AnyHmacAccepted,
        /// `nbf` is never checked.
        NbfIgnored,
        /// `nbf` is compared the wrong way round: a passed `nbf` is refused, a future one accepted.
        NbfComparedBackwards,
        /// Claims are read into a closed set (`deny_unknown_fields`): a token with a claim the server does not know is refused.
        UnknownClaimsRefused,
        /// A token without `exp` never expires (PyJWT's default when `exp` is not required).
        TokensWithoutExpNeverExpire,
        /// A token without `jti` is accepted.
        JtiNotRequired,
        /// The token type is checked by exclusion ("not the other type"): typeless or unknown types pass.
        TypeCheckedByExclusion,
        /// Whatever follows the third segment of a token is ignored.
        ExtraSegmentsIgnored,
        /// A token segment that is not base64url JSON crashes the request (500).
        GarbageTokenCrashes,
        /// Access tokens are checked with a 60 s leeway (jsonwebtoken's default): expired ones pass.
        ExpiryLeeway60s,
        /// A refresh token authenticates requests like an access token.
        RefreshTokenAuthenticates,
        /// A token naming a user that does not exist authenticates.
        UnknownUserAccepted,
        /// A token naming an inactive user authenticates, and refreshes.
        InactiveUserAccepted,
        /// A numeric `user_id` (1 rather than "1") is refused as an unknown user.
        NumericUserIdRefused,
        /// A token without `user_id` authenticates, as the first account.
        MissingUserIdAccepted,
        /// Any scheme, or none, is taken in the Authorization header: `Token <jwt>`, a bare `<jwt>`.
        AnySchemeAccepted,
        /// `Bearer <jwt> extra` is accepted: whatever follows the token is ignored.
        ExtraAuthorizationPartsIgnored,
        /// Only the `JWT <token>` scheme of the old djangorestframework-jwt is accepted, not `Bearer`.
        JwtSchemeRequired,
        /// Resources are looked up and bodies validated before the token is checked (404/400, not 401).
        ExistenceBeforeAuthentication,
        /// Reading resources needs no token (DRF's `IsAuthenticatedOrReadOnly`).
        ReadsArePublic,

        // ----- token claims
        /// Both tokens of a pair carry the same `jti`.
        SharedJti,
        /// The refresh token's `user_id` is the username, not the id of the access token.
        RefreshTokenNamesUsername,
        /// The refresh token expires together with the access token issued with it.
        RefreshLivesNoLonger,
        /// Tokens carry no `iat`.
        NoIat,
        /// The JOSE header has no `typ`.
        HeaderWithoutTyp,

        // ----- resources
        /// PUT answers 200 with the new values but does not store them.
        PutNotStored,
        /// PATCH answers 200 with the new values but does not store them.
        PatchNotStored,
        /// DELETE answers 204 but the resource stays.
        DeleteNotStored,
        /// PATCH validates like PUT: a field it does not name is "required".
        PatchRequiresBothFields,
        /// PUT on an unknown id creates the resource (200) instead of answering 404.
        PutUpserts,
        /// Blank and whitespace-only fields are stored.
        BlankFieldsStored,
        /// Fields longer than 255 characters are stored.
        NoLengthLimit,
        /// A missing field is stored as an empty string.
        MissingFieldsStoredEmpty,
        /// Any JSON value is stored as its text: `true`, `null`, `{"a": 1}`.
        AnyJsonValueStoredAsText,
        /// The collection reads every body as JSON, whatever its `Content-Type`.
        CollectionIgnoresContentType,
        /// A non-numeric id in the path crashes the request (500) instead of a 404.
        NonNumericIdCrashes,
        /// Create takes the `id` from the request body.
        ClientChosenId,
        /// Create answers 200 instead of 201.
        CreateAnswers200,
        /// The collection answers `{"count": n, "results": [...]}` instead of an array.
        ListIsPaginated,
        /// A missing resource gets an HTML 404 page.
        NotFoundIsHtml,
        /// Create copies the store, pauses, and writes the copy back: concurrent creates lose writes.
        LostConcurrentCreates,

        // ----- tokens issued by refresh and rotation
        /// The access token minted by refresh copies `iat` from the refresh token presented.
        RefreshedAccessIatCopied,
        /// The access token minted by refresh lives as long as a refresh token.
        RefreshedAccessWithRefreshLifetime,
        /// The access token minted by refresh reuses the `jti` of the refresh token presented.
        RefreshedAccessCopiesJti,
        /// The access token minted by refresh carries `exp` and `iat` as fractional seconds (`time.time()`).
        RefreshedAccessFloatTimes,
        /// The refresh path builds its own header, `{"alg": "HS256"}` without `typ`.
        RefreshedAccessHeaderWithoutTyp,
        /// A rotated refresh token keeps the `exp` of the one it replaces: no sliding expiry.
        RotatedRefreshKeepsExp,
        /// A rotated refresh token keeps the `jti` of the one it replaces.
        RotatedRefreshCopiesJti,

        // ----- blacklist after rotation
        /// Only refresh tokens issued at login are blacklisted when rotated away, not later ones in the chain.
        BlacklistOnlyLoginTokens,
        /// Blacklist entries are dropped after the access lifetime, long before the refresh token expires.
        BlacklistForgetsEarly,
        /// Blacklist entries live two seconds less than the refresh lifetime (a time to live rounded down, minus a margin), so a rotated-away token is back in its last second.
        BlacklistForgetsInLastSecond,
        /// The verify endpoint never consults the blacklist.
        BlacklistedVerifies,

        // ----- header parameters and exact values
        /// A `jwk` in the header is trusted: a token verifies with the key it carries.
        EmbeddedJwkTrusted,
        /// The key is looked up by `kid`; an unknown `kid` reads an empty key (a path to /dev/null).
        KidSelectsKey,
        /// Any header parameter besides `alg` and `typ` gets the token refused.
        HeaderParametersRefused,
        /// A `crit` header parameter is ignored.
        CritIgnored,
        /// A name given twice in a token's header or claims takes its first value.
        FirstDuplicateWins,
        /// `alg` is compared ignoring case: `hs256` passes as HS256.
        AlgCaseInsensitive,
        /// `token_type` is compared ignoring case: `Access` and `ACCESS` pass as `access`.
        TokenTypeCaseInsensitive,
        /// A `token_type` that is not a string crashes the request (500).
        NonStringTokenTypeCrashes,
        /// The simplejwt refresh endpoint checks the type before the expiry: an expired access token is "wrong type".
        TypeCheckedBeforeExpiry,

        // ----- asymmetric keys (the fake in RS256 mode)
        /// The algorithm is taken from the token's header and the public key's PEM handed to it as is: HS256 keyed with the PEM text passes, and so do PS256 and RS512 (PyJWT's `jwt.decode(token, public_pem, algorithms=[header["alg"]])`).
        AlgFromHeader,
        /// An HS256 token is checked with the public key's DER as the HMAC secret (jsonwebtoken's `DecodingKey::from_secret(der)` under `Validation::new(header.alg)`).
        HmacKeyedWithPublicDer,
        /// An RS256 token is checked with the RSA key of its `jwk` header when it has one.
        JwkHeaderKeyTrusted,
        /// An RS256 signature is checked for its length only, as a verifier stubbed out for tests and shipped.
        RsaSignatureLengthOnly,
        /// Tokens are signed RS256 under a header still written by hand as `{"alg": "HS256", "typ": "JWT"}`, which verification never reads.
        HeaderAlgWrittenByHand,

        // ----- credentials
        /// Logins are looked up ignoring case (`iexact`).
        LoginCaseInsensitive,
        /// The password is checked as sent, without trimming the surrounding whitespace.
        PasswordNotTrimmed,
        /// The email field of the simplejwt obtain endpoint also takes a username.
        EmailFieldTakesUsername,
        /// Only the exact media type `application/json` is JSON: `application/json; charset=utf-8` is a 415.
        JsonWithCharsetIs415,

        // ----- where a token is read from
        /// Without an Authorization header, a token in the query string (`?access_token=`, `?token=`, `?jwt=`) authenticates.
        TokenFromQueryString,
        /// Without an Authorization header, a token in a cookie (`access_token`, `token`, `jwt`) authenticates.
        TokenFromCookie,
        /// Of two Authorization header fields, the first is used.
        FirstAuthorizationWins,
        /// A present token is only checked after the body is validated and the resource looked up.
        InvalidTokenCheckedLate,
        /// `WWW-Authenticate: Bearer`, without the realm.
        ChallengeWithoutRealm,
        /// `WWW-Authenticate: Bearer realm="api", error="invalid_token"` on refused tokens (RFC 6750's form).
        ChallengeWithErrorCode,

        // ----- writes to resources
        /// PUT and PATCH take JSON only: a form body is a 415.
        UpdateOnlyJson,
        /// PUT and PATCH read every body as JSON, whatever its `Content-Type`.
        UpdateIgnoresContentType,
        /// Malformed JSON in a PUT or PATCH crashes the request (500).
        UpdateMalformedJsonIs500,
        /// PATCH stores strings as sent, without trimming them.
        PatchNotTrimmed,
        /// PUT and PATCH answer with the request body merged onto the resource (`id` and unknown fields echoed).
        UpdateEchoesBody,
        /// The list is served from a copy refreshed on create and delete only: updates do not show in it.
        ListStaleAfterUpdate,
        /// PATCH merges onto the resource as it was created, losing an earlier PUT.
        PatchBuildsOnCreated,
        /// The list holds at most 10 resources (a default limit, with no pagination to say so).
        ListCapped,
        /// An updated resource is listed twice (the list reads an append-only log of versions).
        ListRepeatsUpdated,
        /// A new resource gets the highest id in use plus one, so the id of the last one deleted comes back.
        IdsReused,
        /// 405 on an item lists `GET, PUT, DELETE` in `Allow`, forgetting PATCH.
        ItemAllowWithoutPatch,

        // ----- users endpoint and passwords
        /// The users endpoint serializes every field of the user model, the password hash included.
        UsersExposePasswordHash,
        /// The users endpoint leaves out the login field (`email`).
        UsersWithoutLoginField,

        // ----- dialect bodies and reads
        /// The classic verify endpoint answers a valid token with stock simplejwt's `{}`.
        ClassicVerifyAnswersEmptyObject,
        /// The simplejwt verify endpoint refuses tokens with the classic 400 body.
        VerifyErrorsOfTheOtherDialect,
        /// GET on an item answers a one-element list (a `filter()` where a `get()` belongs).
        ItemReadAsList,

        /// Without an Authorization header, a token in a form field of the body authenticates.
        TokenFromFormField,
        /// Passwords are compared ignoring case (both lowered before the check).
        PasswordCaseInsensitive,
        /// PUT and PATCH skip field validation: a value that is not a string is stored as its JSON text.
        UpdateSkipsValidation,

        // ----- expiry boundary
        /// Expiry is compared in whole seconds (`now > exp`): a token lives on through the second of its `exp`.
        ExpiryWholeSeconds,

        // ----- found by mutation testing of the reference server
        /// The token endpoints' `Allow` says `POST, OPTIONS`, but OPTIONS gets a 405 (its route was forgotten).
        OptionsListedButRefused,
        /// The body limit is checked against `Content-Length` only: a chunked body is read whole, whatever its size.
        LimitFromContentLengthOnly,
        /// Refresh looks the user up only when `user_id` is a string: a numeric id of an inactive account refreshes.
        RefreshLooksUpStringIdsOnly,
        /// Multipart bodies are let through unparsed: credentials sent as multipart get "This field is required.".
        MultipartFieldsDropped,
        /// A body of exactly the limit is a 413 (`>=` for `>`).
        LimitRefusesItsOwnSize,
        /// A user's own endpoint serializes every column (`fields = "__all__"`), the password hash included; the list does not.
        UserDetailExposesPasswordHash,
        /// A user's own endpoint answers the requester's record whatever the id (`get_object` returns `request.user`).
        UserDetailIgnoresId,
    }
}
