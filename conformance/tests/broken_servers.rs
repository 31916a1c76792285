//! Self-tests of the suite: the real `jwt-conformance` binary against deliberately broken
//! targets. Every defect in `CASES` must make the binary exit 1, fail the scenarios listed for
//! it, and print the rule they check. The correct fake must conform with the same profiles, so
//! that a defect is caught by the rule it breaks and not by accident.
//!
//! `DEFECT=Name cargo test -p conformance --test broken_servers` runs only the cases whose
//! defect's name contains `Name`; `cargo test -p conformance --test broken_servers -- --ignored
//! defect_table --nocapture` prints the table of defects for the README.

mod fake;
mod harness;
mod support;
mod trace;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use serde_json::Value;
use tokio::{sync::Semaphore, task::JoinSet};

use fake::{ALICE, Defect::*, Rotation, mocks::Mocked};
use harness::{
    Broken, Fake, Mock, Profile, body_of, caught, raw, rules_caught, run_against, summary,
    with_verdict,
};

// Tag expressions that select one feature file each (by its capability tag).
const OBTAIN: &str = "@obtaining";
const CREDENTIALS: &str = "@credentials";
const REFRESH: &str = "@refreshing";
const ISSUED: &str = "@issued";
const VERIFY: &str = "@verifying";
const PROTECTED: &str = "@protected";
const SOURCES: &str = "@sources";
const CRUD: &str = "@crud and not (@hygiene or @writes or @sources)";
const WRITES: &str = "@writes and not @ids";
const IDS: &str = "@ids";
const CLAIMS: &str = "@claims";
const EXPIRY: &str = "@waits and not (@issued or @blacklist or @boundary)";
const BOUNDARY: &str = "@boundary";
const FORGERY: &str = "@forgery";
const FORGED: &str = "@needs-key and not (@headers or @sources)";
const EXPIRED_OR_FORGED: &str = "(@waits and not (@issued or @blacklist or @boundary)) or (@needs-key and not (@headers or @sources))";
const HEADERS: &str = "@headers";
const ROTATION: &str = "@rotation";
const BLACKLIST: &str = "@blacklist";
const HYGIENE: &str = "@hygiene";
const USERS: &str = "@users";
const ASYMMETRIC: &str = "@asymmetric";

/// Every defect, the profile and tags it is checked with, and the scenarios (names as the
/// report gives them, outline placeholders filled in) that must fail because of it. Runs whose
/// tags mention `@waits` get `--max-wait 10s` (a `not @waits` costs nothing: unselected
/// scenarios do not wait), all others `--max-wait 0s`.
const CASES: &[(Broken, Profile, &str, &[&str])] = &[
    // ----- obtaining tokens
    (
        Fake(LoginIgnoresPassword),
        Profile::Classic,
        OBTAIN,
        &["A wrong password is refused with the dialect's credentials error"],
    ),
    (
        Fake(UnknownLoginSaysSo),
        Profile::V1,
        OBTAIN,
        &[
            "Logging in as an unknown login gets exactly the wrong-password answer",
            "Logging in with a numeric login gets exactly the wrong-password answer",
        ],
    ),
    (
        Fake(InactiveCanLogIn),
        Profile::Classic,
        OBTAIN,
        &["Logging in as the inactive account gets exactly the wrong-password answer"],
    ),
    (
        Fake(MissingFieldsAsNonFieldErrors),
        Profile::Classic,
        OBTAIN,
        &[
            "A missing login field is a 400 naming each bad field",
            "A missing password is a 400 naming each bad field",
            "An empty body is a 400 naming each bad field",
        ],
    ),
    (
        Fake(CredentialsErrorOfTheOtherDialect),
        Profile::V1,
        OBTAIN,
        &["A wrong password is refused with the dialect's credentials error"],
    ),
    (
        Fake(NonStringFieldCrashes),
        Profile::Classic,
        OBTAIN,
        &[
            "A boolean login is a 400 naming each bad field",
            "An object as password is a 400 naming each bad field",
            "An array as login is a 400 naming each bad field",
        ],
    ),
    (
        Fake(EmptyTextBodyIs415),
        Profile::V1,
        OBTAIN,
        &["An empty body typed as text is a 400 naming each bad field"],
    ),
    (
        Fake(NulByteCrashes),
        Profile::Classic,
        HYGIENE,
        &["A NUL byte in a JSON string on the obtain endpoint is a 400, not a crash"],
    ),
    (
        Mock(Mocked::EverythingOk),
        Profile::Classic,
        OBTAIN,
        &[
            "Valid credentials sent as JSON give a token pair",
            "A wrong password is refused with the dialect's credentials error",
            "A missing login field is a 400 naming each bad field",
        ],
    ),
    // ----- HTTP hygiene
    (
        Fake(MalformedJsonIs500),
        Profile::Classic,
        HYGIENE,
        &[
            "Malformed JSON on the obtain endpoint is a 400 JSON parse error",
            "Malformed JSON on the refresh endpoint is a 400 JSON parse error",
            "Malformed JSON on the verify endpoint is a 400 JSON parse error",
            "Malformed JSON on the collection is a 400 JSON parse error",
            "Invalid UTF-8 in a JSON body on the obtain endpoint is a 400, not a crash",
            "JSON nested 100000 levels deep on the obtain endpoint is a 400, not a crash",
        ],
    ),
    (
        Fake(UnsupportedMediaTypeIs400),
        Profile::V1,
        HYGIENE,
        &[
            "A body typed text/plain on the obtain endpoint is a 415",
            "A body typed application/xml on the obtain endpoint is a 415",
            "A body typed text/plain on the refresh endpoint is a 415",
            "A body typed text/plain on the verify endpoint is a 415",
        ],
    ),
    (
        Fake(MethodNotAllowedWithoutAllow),
        Profile::Classic,
        HYGIENE,
        &[
            "GET on the obtain endpoint is a 405 that lists POST",
            "DELETE on the verify endpoint is a 405 that lists POST",
            "PUT on the collection is a 405 that lists the allowed methods",
            "POST on my resource is a 405 that lists the allowed methods",
        ],
    ),
    (
        Fake(GetOnTokenEndpointIs200),
        Profile::V1,
        HYGIENE,
        &[
            "GET on the obtain endpoint is a 405 that lists POST",
            "GET on the refresh endpoint is a 405 that lists POST",
            "GET on the verify endpoint is a 405 that lists POST",
        ],
    ),
    (
        Fake(OversizedBodyIs500),
        Profile::Classic,
        HYGIENE,
        &[
            "A body over the server's limit on the obtain endpoint is a 413 and the connection stays usable",
            "A body over the server's limit on the refresh endpoint is a 413 and the connection stays usable",
        ],
    ),
    (
        Fake(OversizedBodyClosesConnection),
        Profile::V1,
        HYGIENE,
        &[
            "A body over the server's limit on the obtain endpoint is a 413 and the connection stays usable",
            "A body over the server's limit on the refresh endpoint is a 413 and the connection stays usable",
        ],
    ),
    (
        Fake(BadChunkDropsConnection),
        Profile::Classic,
        HYGIENE,
        &[
            "A malformed request over raw TCP gets an HTTP answer, not a dropped connection: a bad chunk size",
        ],
    ),
    (
        Fake(MalformedRequestsDropped),
        Profile::V1,
        HYGIENE,
        &[
            "A malformed request over raw TCP gets an HTTP answer, not a dropped connection: garbage request line",
            "A malformed request over raw TCP gets an HTTP answer, not a dropped connection: a bad header line",
            "A malformed request over raw TCP gets an HTTP answer, not a dropped connection: a bad Content-Length",
        ],
    ),
    (
        Fake(UnauthorizedWithoutChallenge),
        Profile::V1,
        PROTECTED,
        &[
            "No Authorization header is refused as not authenticated",
            "A Bearer header with no token is refused",
            "simplejwt explains why garbage is refused",
        ],
    ),
    // ----- refreshing
    (
        Fake(AccessTokenRefreshes),
        Profile::Classic,
        "(@refreshing and not @waits) or @forgery or (@needs-key and not (@headers or @sources))",
        &[
            "An access token is refused at the refresh endpoint",
            "A refresh token typed \"access\" is refused",
            "An access token cannot refresh",
        ],
    ),
    (
        Fake(ExpiredRefreshAccepted),
        Profile::Classic,
        EXPIRED_OR_FORGED,
        &[
            "An expired refresh token is refused",
            "A refresh token that expired a moment ago is refused",
        ],
    ),
    (
        Fake(StaleAccessOnRefresh),
        Profile::Classic,
        REFRESH,
        &["A refreshed access token is a new token for the same user"],
    ),
    (
        Fake(RefreshedAccessWithoutJti),
        Profile::V1,
        REFRESH,
        &[
            "A refreshed access token is a new token for the same user",
            "A valid refresh token sent as JSON gives a new, working access token",
        ],
    ),
    (
        Fake(RefreshErrorsOfTheOtherDialect),
        Profile::V1,
        REFRESH,
        &[
            "An access token is refused at the refresh endpoint",
            "Garbage is refused at the refresh endpoint",
            "A refresh token signed with another key is refused at the refresh endpoint",
            "A refresh token with alg none is refused at the refresh endpoint",
        ],
    ),
    (
        Fake(TokenFieldNotValidated),
        Profile::Classic,
        REFRESH,
        &[
            "A missing field is a 400 naming the refresh field",
            "An empty body is a 400 naming the refresh field",
            "A blank field is a 400 naming the refresh field",
            "A null field is a 400 naming the refresh field",
            "A field of the wrong type is a 400 naming the refresh field",
        ],
    ),
    (
        Fake(NoRotation),
        Profile::Blacklisting,
        ROTATION,
        &[
            "Rotation happens exactly when the profile says it does",
            "A rotated refresh token is a new refresh token that works",
            "After rotation with blacklisting, the old refresh token is refused",
        ],
    ),
    (
        Fake(BlacklistIgnored),
        Profile::Blacklisting,
        ROTATION,
        &["After rotation with blacklisting, the old refresh token is refused"],
    ),
    (
        Fake(RefreshDiesWithAccess),
        Profile::Classic,
        EXPIRY,
        &["The refresh token still works after the access token expired"],
    ),
    // ----- verifying
    (
        Fake(VerifyChecksSignatureOnly),
        Profile::V1,
        EXPIRED_OR_FORGED,
        &[
            "An expired access token fails verification",
            "An expired refresh token fails verification",
            "An access token that expired a moment ago fails verification",
            "An access token without exp fails verification",
            "An access token without jti fails verification",
            "An access token whose nbf is in the future fails verification",
        ],
    ),
    (
        Fake(VerifyBodyOfTheOtherDialect),
        Profile::V1,
        VERIFY,
        &[
            "A valid access token sent as JSON verifies",
            "A valid access token sent as a form verifies",
            "A valid refresh token verifies too",
        ],
    ),
    (
        Mock(Mocked::VerifiesAnything),
        Profile::Classic,
        VERIFY,
        &[
            "Garbage fails verification",
            "An access token signed with another key fails verification",
            "A missing field is a 400 naming the token field",
        ],
    ),
    // ----- authenticating
    (
        Fake(AlgNoneAccepted),
        Profile::Classic,
        FORGERY,
        &[
            "An access token with alg \"none\" is refused by the protected endpoint",
            "An access token with alg \"NONE\" is refused by the protected endpoint",
            "An access token with alg \"none\" and its signature kept is refused by the protected endpoint",
            "An access token with alg \"none\" fails verification",
            "A refresh token with alg \"none\" does not refresh",
        ],
    ),
    (
        Fake(SignatureNotChecked),
        Profile::V1,
        FORGERY,
        &[
            "An access token with an empty signature is refused by the protected endpoint",
            "An access token with a later expiry under the old signature is refused by the protected endpoint",
            "An access token re-signed with another key is refused by the protected endpoint",
            "An access token with a later expiry under the old signature fails verification",
        ],
    ),
    (
        Fake(AnyWellFormedSignature),
        Profile::Classic,
        PROTECTED,
        &[
            "An access token signed with another key is refused as an invalid token",
            "An access token with a stretched expiry is refused as an invalid token",
        ],
    ),
    (
        Fake(SignatureCheckedIfPresent),
        Profile::V1,
        FORGERY,
        &[
            "An access token without the signature segment is refused by the protected endpoint",
            "An access token without the signature segment fails verification",
        ],
    ),
    (
        Fake(AnyHmacAccepted),
        Profile::Classic,
        FORGED,
        &[
            "An access token signed with HS384 is refused by the protected endpoint",
            "An access token signed with HS512 is refused by the protected endpoint",
            "An access token signed with HS512 fails verification",
            "A refresh token signed with HS512 is refused",
        ],
    ),
    (
        Fake(NbfIgnored),
        Profile::V1,
        FORGED,
        &[
            "An access token whose nbf is in the future is refused by the protected endpoint",
            "An access token whose nbf is in the future fails verification",
        ],
    ),
    (
        Fake(NbfComparedBackwards),
        Profile::Classic,
        FORGED,
        &[
            "An access token whose nbf has passed is accepted",
            "An access token whose nbf is in the future is refused by the protected endpoint",
        ],
    ),
    (
        Fake(UnknownClaimsRefused),
        Profile::Classic,
        FORGED,
        &[
            "An access token carrying a claim the server does not know is accepted",
            "A refresh token carrying a claim the server does not know refreshes",
        ],
    ),
    (
        Fake(TokensWithoutExpNeverExpire),
        Profile::Classic,
        FORGED,
        &[
            "An access token without exp is refused by the protected endpoint",
            "An access token without exp fails verification",
            "A refresh token without exp is refused",
        ],
    ),
    (
        Fake(JtiNotRequired),
        Profile::V1,
        FORGED,
        &[
            "An access token without jti is refused by the protected endpoint",
            "An access token without jti fails verification",
            "A refresh token without jti is refused",
        ],
    ),
    (
        Fake(TypeCheckedByExclusion),
        Profile::Classic,
        FORGED,
        &[
            "An access token without token_type is refused by the protected endpoint",
            "An access token of an unknown type is refused by the protected endpoint",
            "A refresh token without token_type is refused",
        ],
    ),
    (
        Fake(ExtraSegmentsIgnored),
        Profile::V1,
        FORGERY,
        &[
            "An access token with a fourth segment is refused by the protected endpoint",
            "An access token with a fourth segment fails verification",
            "A refresh token with a fourth segment does not refresh",
        ],
    ),
    (
        Fake(GarbageTokenCrashes),
        Profile::Classic,
        FORGERY,
        &[
            "An access token with a garbage header is refused by the protected endpoint",
            "An access token with a garbage payload is refused by the protected endpoint",
            "An access token with a payload that is not JSON is refused by the protected endpoint",
            "An access token with a header that is not JSON is refused by the protected endpoint",
            "An access token with a garbage payload fails verification",
            "A refresh token with a garbage header does not refresh",
        ],
    ),
    (
        Fake(ExpiryLeeway60s),
        Profile::Classic,
        EXPIRED_OR_FORGED,
        &[
            "An expired access token is refused by the protected endpoint",
            "An access token that expired a moment ago is refused by the protected endpoint",
        ],
    ),
    (
        Fake(RefreshTokenAuthenticates),
        Profile::V1,
        "@protected or @forgery or (@needs-key and not (@headers or @sources))",
        &[
            "An access token typed \"refresh\" is refused by the protected endpoint",
            "A refresh token is refused as an invalid token",
            "simplejwt explains why a refresh token is refused",
            "A refresh token cannot authenticate a request",
        ],
    ),
    (
        Fake(UnknownUserAccepted),
        Profile::Classic,
        FORGED,
        &[
            "An access token naming a user that does not exist is refused by the protected endpoint",
            "A refresh token naming a user that does not exist is refused",
        ],
    ),
    (
        Fake(InactiveUserAccepted),
        Profile::V1,
        FORGED,
        &[
            "An access token naming the inactive account is refused by the protected endpoint",
            "A refresh token naming the inactive account is refused",
        ],
    ),
    (
        Fake(NumericUserIdRefused),
        Profile::Classic,
        FORGED,
        &["An access token with a numeric user_id is accepted"],
    ),
    (
        Fake(MissingUserIdAccepted),
        Profile::V1,
        FORGED,
        &["An access token without user_id is refused by the protected endpoint"],
    ),
    (
        Fake(AnySchemeAccepted),
        Profile::Classic,
        PROTECTED,
        &[
            "The Token scheme is refused as not authenticated",
            "The JWT scheme is refused as not authenticated",
            "A raw token without a scheme is refused as not authenticated",
        ],
    ),
    (
        Fake(ExtraAuthorizationPartsIgnored),
        Profile::V1,
        PROTECTED,
        &["A Bearer header with two tokens is refused"],
    ),
    (
        Fake(JwtSchemeRequired),
        Profile::Classic,
        PROTECTED,
        &[
            "A valid access token is accepted",
            "The JWT scheme is refused as not authenticated",
        ],
    ),
    (
        Fake(ExistenceBeforeAuthentication),
        Profile::Classic,
        CRUD,
        &[
            "Without a token, POST the collection is a 401 even with an invalid body",
            "Without a token, GET a deleted resource is a 401 even for an unknown id",
            "Without a token, PUT a deleted resource is a 401 even for an unknown id",
            "Without a token, DELETE a deleted resource is a 401 even for an unknown id",
        ],
    ),
    (
        Fake(ReadsArePublic),
        Profile::Classic,
        CRUD,
        &[
            "Without a token, GET the collection is a 401 even for a plain read",
            "Without a token, GET a deleted resource is a 401 even for an unknown id",
        ],
    ),
    (
        Mock(Mocked::AnyBearerAccepted),
        Profile::Classic,
        PROTECTED,
        &[
            "No Authorization header is refused as not authenticated",
            "Garbage is refused as an invalid token",
            "An access token with alg none is refused as an invalid token",
        ],
    ),
    // ----- token claims
    (
        Fake(SharedJti),
        Profile::Classic,
        CLAIMS,
        &["Every token has its own jti"],
    ),
    (
        Fake(RefreshTokenNamesUsername),
        Profile::V1,
        CLAIMS,
        &["Both tokens of a pair name the same user"],
    ),
    (
        Fake(RefreshLivesNoLonger),
        Profile::Blacklisting,
        CLAIMS,
        &[
            "The refresh token outlives the access token issued with it",
            "The token lifetimes are the ones the profile declares",
        ],
    ),
    (
        Fake(NoIat),
        Profile::V1,
        CLAIMS,
        &[
            "The access token carries the access claims",
            "The refresh token carries the refresh claims",
            "Tokens are issued now and expire later",
        ],
    ),
    (
        Fake(HeaderWithoutTyp),
        Profile::Classic,
        CLAIMS,
        &["Both tokens are HS256 JWS with a JWT header"],
    ),
    // ----- resources
    (
        Fake(PutNotStored),
        Profile::Classic,
        CRUD,
        &[
            "PUT replaces both fields and the change is visible",
            "PUT ignores an id in the body",
        ],
    ),
    (
        Fake(PatchNotStored),
        Profile::Classic,
        CRUD,
        &[
            "PATCH changes only the fields it names",
            "Concurrent updates of different resources are all stored",
        ],
    ),
    (
        Fake(DeleteNotStored),
        Profile::Classic,
        CRUD,
        &[
            "DELETE answers 204 with an empty body and the resource is gone",
            "GET on a deleted resource is a 404",
            "DELETE on a deleted resource is a 404",
        ],
    ),
    (
        Fake(PatchRequiresBothFields),
        Profile::Classic,
        CRUD,
        &[
            "PATCH changes only the fields it names",
            "PATCH with an empty object changes nothing",
        ],
    ),
    (
        Fake(PutUpserts),
        Profile::Classic,
        CRUD,
        &["PUT on a deleted resource is a 404"],
    ),
    (
        Fake(BlankFieldsStored),
        Profile::Classic,
        CRUD,
        &[
            "Creating with blank fields is a 400 naming each bad field",
            "Creating with a whitespace-only field is a 400 naming each bad field",
            "PUT with a blank field is a 400 and changes nothing",
            "PATCH with a blank field is a 400 and changes nothing",
        ],
    ),
    (
        Fake(NoLengthLimit),
        Profile::Classic,
        CRUD,
        &[
            "Creating with 256 characters is a 400 naming each bad field",
            "PATCH with 256 characters is a 400 and changes nothing",
        ],
    ),
    (
        Fake(MissingFieldsStoredEmpty),
        Profile::Classic,
        CRUD,
        &[
            "Creating with field1 missing is a 400 naming each bad field",
            "Creating with field2 missing is a 400 naming each bad field",
            "Creating with an empty object is a 400 naming each bad field",
            "Creating with an empty body is a 400 naming each bad field",
            "Creating with a form missing field2 is a 400 naming each bad field",
            "PUT with field2 missing is a 400 and changes nothing",
        ],
    ),
    (
        Fake(AnyJsonValueStoredAsText),
        Profile::Classic,
        CRUD,
        &[
            "Creating with null fields is a 400 naming each bad field",
            "Creating with booleans is a 400 naming each bad field",
            "Creating with an object and an array is a 400 naming each bad field",
            "PATCH with a null field is a 400 and changes nothing",
            "PATCH with a boolean field is a 400 and changes nothing",
        ],
    ),
    (
        Fake(CollectionIgnoresContentType),
        Profile::Classic,
        HYGIENE,
        &["A text/plain body on the collection is a 415"],
    ),
    (
        Fake(NonNumericIdCrashes),
        Profile::Classic,
        CRUD,
        &["An id the server never issued is a 404"],
    ),
    (
        Fake(ClientChosenId),
        Profile::Classic,
        CRUD,
        &["The id in a request body and unknown fields are ignored"],
    ),
    (
        Fake(CreateAnswers200),
        Profile::Classic,
        CRUD,
        &[
            "Creating a resource from JSON returns it with an id",
            "Creating a resource from a form returns it with an id",
            "Concurrent creates are all stored",
        ],
    ),
    (
        Fake(ListIsPaginated),
        Profile::Classic,
        CRUD,
        &[
            "Listing returns a JSON array that includes my resource",
            "Creating a resource from JSON returns it with an id",
        ],
    ),
    (
        Fake(NotFoundIsHtml),
        Profile::Classic,
        CRUD,
        &[
            "GET on a deleted resource is a 404",
            "PUT on a deleted resource is a 404",
            "PATCH on a deleted resource is a 404",
            "DELETE on a deleted resource is a 404",
        ],
    ),
    (
        Fake(LostConcurrentCreates),
        Profile::Classic,
        CRUD,
        &["Concurrent creates are all stored"],
    ),
    (
        Fake(BodyOn204),
        Profile::Classic,
        CRUD,
        &["DELETE answers 204 with an empty body and the resource is gone"],
    ),
    // ----- tokens issued by refresh and rotation
    (
        Fake(RefreshedAccessIatCopied),
        Profile::Classic,
        ISSUED,
        &["A refreshed access token is issued at the time of the refresh"],
    ),
    (
        Fake(RefreshedAccessWithRefreshLifetime),
        Profile::V1,
        ISSUED,
        &[
            "A refreshed access token has the standard header, integer times and the access lifetime",
            "A refreshed access token is issued at the time of the refresh",
        ],
    ),
    (
        Fake(RefreshedAccessCopiesJti),
        Profile::Classic,
        ISSUED,
        &["A refreshed access token has a jti that no other token has"],
    ),
    (
        Fake(RefreshedAccessFloatTimes),
        Profile::V1,
        ISSUED,
        &[
            "A refreshed access token has the standard header, integer times and the access lifetime",
        ],
    ),
    (
        Fake(RefreshedAccessHeaderWithoutTyp),
        Profile::Classic,
        ISSUED,
        &[
            "A refreshed access token has the standard header, integer times and the access lifetime",
        ],
    ),
    (
        Fake(RotatedRefreshKeepsExp),
        Profile::Blacklisting,
        ISSUED,
        &["A rotated refresh token is issued at the time of the refresh and slides its expiry"],
    ),
    (
        Fake(RotatedRefreshCopiesJti),
        Profile::Blacklisting,
        ISSUED,
        &["A rotated refresh token has the standard header, its own jti and the refresh lifetime"],
    ),
    // ----- blacklist after rotation
    (
        Fake(BlacklistOnlyLoginTokens),
        Profile::Blacklisting,
        BLACKLIST,
        &["A refresh token rotated away later in the chain is refused"],
    ),
    (
        Fake(BlacklistForgetsEarly),
        Profile::Blacklisting,
        BLACKLIST,
        &["A refresh token rotated away is still refused long after the rotation"],
    ),
    (
        Fake(BlacklistForgetsInLastSecond),
        Profile::Blacklisting,
        BLACKLIST,
        &["A refresh token rotated away is still refused in the last second of its life"],
    ),
    (
        Fake(BlacklistedVerifies),
        Profile::Blacklisting,
        BLACKLIST,
        &["A refresh token rotated away fails verification"],
    ),
    // ----- header parameters and exact values
    (
        Fake(EmbeddedJwkTrusted),
        Profile::Classic,
        HEADERS,
        &[
            "An access token whose header embeds the key it was signed with as a jwk is refused",
            "A refresh token whose header embeds the key it was signed with as a jwk does not refresh",
            "Tokens signed with the server's key and carrying jwk are accepted as without it",
        ],
    ),
    (
        Fake(KidSelectsKey),
        Profile::V1,
        HEADERS,
        &[
            "An access token whose header names an empty file as its kid is refused",
            "A refresh token whose header names an empty file as its kid does not refresh",
            "Tokens signed with the server's key and carrying kid are accepted as without it",
        ],
    ),
    (
        Fake(HeaderParametersRefused),
        Profile::Classic,
        HEADERS,
        &[
            "Tokens signed with the server's key and carrying kid are accepted as without it",
            "Tokens signed with the server's key and carrying jku are accepted as without it",
            "Tokens signed with the server's key and carrying x5u are accepted as without it",
            "Tokens signed with the server's key and carrying jwk are accepted as without it",
            "Tokens signed with the server's key and carrying x5c are accepted as without it",
        ],
    ),
    (
        Fake(CritIgnored),
        Profile::V1,
        HEADERS,
        &["A token with a critical header extension is refused everywhere"],
    ),
    (
        Fake(FirstDuplicateWins),
        Profile::Classic,
        HEADERS,
        &[
            "An access token whose token_type is given twice, \"refresh\" last, does not authenticate",
            "A refresh token whose token_type is given twice, \"access\" last, does not refresh",
            "A token whose exp is given twice, a past one last, is refused everywhere",
            "A token whose alg is given twice, \"none\" last, is refused",
        ],
    ),
    (
        Fake(AlgCaseInsensitive),
        Profile::V1,
        HEADERS,
        &[
            "An access token whose alg is \"hs256\" is refused by the protected endpoint",
            "A refresh token whose alg is \"hs256\" does not refresh",
        ],
    ),
    (
        Fake(TokenTypeCaseInsensitive),
        Profile::Classic,
        HEADERS,
        &[
            "An access token typed \"Access\" is refused by the protected endpoint",
            "An access token typed \"ACCESS\" is refused by the protected endpoint",
            "A refresh token typed \"Refresh\" does not refresh",
        ],
    ),
    (
        Fake(NonStringTokenTypeCrashes),
        Profile::V1,
        HEADERS,
        &[
            "An access token whose token_type is 1 is refused by the protected endpoint",
            "A refresh token whose token_type is 1 does not refresh",
        ],
    ),
    // ----- asymmetric keys
    (
        Fake(AlgFromHeader),
        Profile::Rs256,
        ASYMMETRIC,
        &[
            "An access token re-signed with HS256 keyed with the public key's PEM text is refused by the protected endpoint",
            "An access token re-signed with HS256 keyed with the public key's PEM text fails verification",
            "A refresh token re-signed with HS256 keyed with the public key's PEM text does not refresh",
            "An access token re-signed with the server's RSA key under PS256 is refused by the protected endpoint",
            "An access token re-signed with the server's RSA key under RS512 is refused by the protected endpoint",
            "An access token re-signed with the server's RSA key under PS256 fails verification",
            "A refresh token re-signed with the server's RSA key under PS256 does not refresh",
        ],
    ),
    (
        Fake(HmacKeyedWithPublicDer),
        Profile::Rs256,
        ASYMMETRIC,
        &[
            "An access token re-signed with HS256 keyed with the public key's DER is refused by the protected endpoint",
            "An access token re-signed with HS256 keyed with the public key's DER fails verification",
            "A refresh token re-signed with HS256 keyed with the public key's DER does not refresh",
        ],
    ),
    (
        Fake(JwkHeaderKeyTrusted),
        Profile::Rs256,
        ASYMMETRIC,
        &[
            "An access token signed by another key of its type embedded as a jwk is refused by the protected endpoint",
            "An access token signed by another key of its type embedded as a jwk fails verification",
            "A refresh token signed by another key of its type embedded as a jwk does not refresh",
        ],
    ),
    (
        Fake(RsaSignatureLengthOnly),
        Profile::Rs256,
        ASYMMETRIC,
        &[
            "An access token signed by another key of its type is refused by the protected endpoint",
            "An access token signed by another key of its type fails verification",
            "A refresh token signed by another key of its type does not refresh",
        ],
    ),
    (
        Fake(HeaderAlgWrittenByHand),
        Profile::Rs256,
        ASYMMETRIC,
        &["Issued tokens carry the declared alg and verify under the server's public key"],
    ),
    // ----- credentials
    (
        Fake(LoginCaseInsensitive),
        Profile::Classic,
        CREDENTIALS,
        &["Logging in with the login in the other case gets exactly the wrong-password answer"],
    ),
    (
        Fake(PasswordNotTrimmed),
        Profile::V1,
        CREDENTIALS,
        &["Whitespace around the password is trimmed, as a CharField trims it"],
    ),
    (
        Fake(EmailFieldTakesUsername),
        Profile::V1,
        CREDENTIALS,
        &["The email field does not take a username"],
    ),
    (
        Fake(JsonWithCharsetIs415),
        Profile::Classic,
        CREDENTIALS,
        &[
            "Credentials typed \"application/json; charset=utf-8\" are read as JSON",
            "Credentials typed \"application/json;charset=UTF-8\" are read as JSON",
            "A refresh token typed \"application/json; charset=utf-8\" is read as JSON",
        ],
    ),
    // ----- where a token is read from, and what is checked first
    (
        Fake(TokenFromQueryString),
        Profile::V1,
        SOURCES,
        &[
            "A token in the query parameter \"access_token\" authenticates nothing",
            "A token in the query parameter \"token\" authenticates nothing",
            "A token in the query parameter \"jwt\" authenticates nothing",
        ],
    ),
    (
        Fake(TokenFromCookie),
        Profile::Classic,
        SOURCES,
        &[
            "A token in the cookie \"access_token\" authenticates nothing",
            "A token in the cookie \"token\" authenticates nothing",
            "A token in the cookie \"jwt\" authenticates nothing",
        ],
    ),
    (
        Fake(FirstAuthorizationWins),
        Profile::Classic,
        SOURCES,
        &["Two Authorization header fields are refused"],
    ),
    (
        Fake(InvalidTokenCheckedLate),
        Profile::Classic,
        SOURCES,
        &[
            "With a garbage token, POST the collection is a 401 even with an invalid body",
            "With a tampered token, POST the collection is a 401 even with an invalid body",
            "With a refresh token, PUT a deleted resource is a 401 even for an unknown id",
            "With a tampered token, GET a deleted resource is a 401 even for an unknown id",
            "With a token of another key, PATCH a deleted resource is a 401 even for an unknown id",
            "With a tampered token, DELETE a deleted resource is a 401 even for an unknown id",
        ],
    ),
    (
        Fake(TypeCheckedBeforeExpiry),
        Profile::V1,
        SOURCES,
        &[
            "An expired access token at the refresh endpoint is reported as expired, not as the wrong type",
        ],
    ),
    (
        Fake(ChallengeWithoutRealm),
        Profile::V1,
        PROTECTED,
        &[
            "No Authorization header is refused as not authenticated",
            "Garbage is refused as an invalid token",
        ],
    ),
    (
        Fake(ChallengeWithErrorCode),
        Profile::Classic,
        PROTECTED,
        &[
            "Garbage is refused as an invalid token",
            "A refresh token is refused as an invalid token",
        ],
    ),
    // ----- writes to resources
    (
        Fake(UpdateOnlyJson),
        Profile::Classic,
        WRITES,
        &[
            "PUT takes a form-encoded body",
            "PATCH takes a form-encoded body",
        ],
    ),
    (
        Fake(UpdateIgnoresContentType),
        Profile::Classic,
        WRITES,
        &[
            "PUT with a text/plain body is a 415 and changes nothing",
            "PATCH with a text/plain body is a 415 and changes nothing",
        ],
    ),
    (
        Fake(UpdateMalformedJsonIs500),
        Profile::Classic,
        WRITES,
        &[
            "PUT with malformed JSON is a 400 JSON parse error and changes nothing",
            "PATCH with malformed JSON is a 400 JSON parse error and changes nothing",
        ],
    ),
    (
        Fake(PatchNotTrimmed),
        Profile::Classic,
        WRITES,
        &["PATCH cleans values as a CharField cleans them"],
    ),
    (
        Fake(UpdateEchoesBody),
        Profile::Classic,
        WRITES,
        &[
            "PUT ignores an id and unknown fields, and never echoes them",
            "PATCH ignores an id and unknown fields, and never echoes them",
        ],
    ),
    (
        Fake(ListStaleAfterUpdate),
        Profile::Classic,
        WRITES,
        &[
            "After PUT, the item and the list show the new values",
            "After PATCH, the item and the list show the new values",
            "A PATCH after a PUT builds on what the PUT stored",
        ],
    ),
    (
        Fake(PatchBuildsOnCreated),
        Profile::Classic,
        WRITES,
        &["A PATCH after a PUT builds on what the PUT stored"],
    ),
    (
        Fake(ListCapped),
        Profile::Classic,
        WRITES,
        &["The list holds every resource exactly once"],
    ),
    (
        Fake(ListRepeatsUpdated),
        Profile::Classic,
        WRITES,
        &["After PUT, the item and the list show the new values"],
    ),
    (
        Fake(IdsReused),
        Profile::Classic,
        IDS,
        &["The id of a deleted resource is never given to a new one"],
    ),
    (
        Fake(ItemAllowWithoutPatch),
        Profile::Classic,
        WRITES,
        &["POST on my resource is a 405 whose Allow lists every method of an item"],
    ),
    // ----- users endpoint and passwords
    (
        Fake(UsersExposePasswordHash),
        Profile::V1,
        USERS,
        &["The users endpoint carries no password and no password hash"],
    ),
    (
        Fake(UsersWithoutLoginField),
        Profile::V1,
        USERS,
        &["The users endpoint lists objects with an id and the login field"],
    ),
    // ----- dialect bodies and reads
    (
        Fake(ClassicVerifyAnswersEmptyObject),
        Profile::Classic,
        VERIFY,
        &[
            "A valid access token sent as JSON verifies",
            "A valid access token sent as a form verifies",
        ],
    ),
    (
        Fake(VerifyErrorsOfTheOtherDialect),
        Profile::V1,
        VERIFY,
        &[
            "Garbage fails verification",
            "An access token signed with another key fails verification",
        ],
    ),
    (
        Fake(ItemReadAsList),
        Profile::Classic,
        CRUD,
        &["Reading a resource returns it"],
    ),
    (
        Fake(JsonWithCharsetIs415),
        Profile::Classic,
        WRITES,
        &["A create typed \"application/json; charset=utf-8\" is read as JSON"],
    ),
    (
        Fake(TokenFromFormField),
        Profile::Classic,
        SOURCES,
        &["A token in a form field authenticates nothing"],
    ),
    (
        Fake(PasswordCaseInsensitive),
        Profile::V1,
        CREDENTIALS,
        &["Logging in with the password in the other case gets exactly the wrong-password answer"],
    ),
    (
        Fake(UpdateSkipsValidation),
        Profile::Classic,
        WRITES,
        &[
            "PUT with a value that is not a string is a 400 and changes nothing",
            "PATCH with a value that is not a string is a 400 and changes nothing",
        ],
    ),
    // ----- expiry boundary
    (
        Fake(ExpiryWholeSeconds),
        Profile::Classic,
        BOUNDARY,
        &[
            "An access token presented in the second of its exp is refused",
            "A refresh token presented in the second of its exp does not refresh",
        ],
    ),
    // ----- found by mutation testing of the reference server
    (
        Fake(OptionsListedButRefused),
        Profile::V1,
        HYGIENE,
        &[
            "Every method the Allow header of the obtain endpoint lists is allowed",
            "Every method the Allow header of the refresh endpoint lists is allowed",
            "Every method the Allow header of the verify endpoint lists is allowed",
        ],
    ),
    (
        Fake(LimitFromContentLengthOnly),
        Profile::Classic,
        HYGIENE,
        &[
            "A chunked body over the server's limit on the obtain endpoint is a 413 and the connection stays usable",
        ],
    ),
    (
        Fake(RefreshLooksUpStringIdsOnly),
        Profile::V1,
        FORGED,
        &["A refresh token whose user_id names the inactive account as a number is refused"],
    ),
    (
        Fake(MultipartFieldsDropped),
        Profile::Classic,
        OBTAIN,
        &["Valid credentials sent as multipart log in, unless multipart is refused as unsupported"],
    ),
    (
        Fake(LimitRefusesItsOwnSize),
        Profile::Limited,
        HYGIENE,
        &[
            "A login body of exactly the declared limit is read, and one byte more is a 413 (with its Content-Length)",
            "A login body of exactly the declared limit is read, and one byte more is a 413 (in chunks)",
        ],
    ),
    (
        Fake(UserDetailExposesPasswordHash),
        Profile::V1,
        USERS,
        &["Each listed user's own endpoint answers the object the list has for it"],
    ),
    (
        Fake(UserDetailIgnoresId),
        Profile::V1,
        USERS,
        &["Each listed user's own endpoint answers the object the list has for it"],
    ),
];

/// Defects a property of `jwt-conformance properties` also catches: (defect, profile,
/// property). Each run must falsify that property; it shrinks a counterexample on the way.
const PROPERTY_CASES: &[(Broken, Profile, &str)] = &[
    (Fake(AlgNoneAccepted), Profile::Classic, "tokens"),
    (Fake(SignatureNotChecked), Profile::V1, "tokens"),
    (Fake(AnyWellFormedSignature), Profile::Classic, "tokens"),
    (Fake(SignatureCheckedIfPresent), Profile::V1, "tokens"),
    (Fake(ExtraSegmentsIgnored), Profile::V1, "tokens"),
    (Fake(GarbageTokenCrashes), Profile::Classic, "tokens"),
    (Mock(Mocked::AnyBearerAccepted), Profile::Classic, "tokens"),
    (Fake(MalformedJsonIs500), Profile::Classic, "bodies"),
    (Fake(NonStringFieldCrashes), Profile::Classic, "bodies"),
    (Fake(NulByteCrashes), Profile::Classic, "bodies"),
    (Fake(OversizedBodyIs500), Profile::Classic, "bodies"),
    (Fake(BlankFieldsStored), Profile::Classic, "bodies"),
    (Fake(NoLengthLimit), Profile::Classic, "bodies"),
    (Fake(AnyJsonValueStoredAsText), Profile::Classic, "bodies"),
    (Fake(CreateAnswers200), Profile::Classic, "bodies"),
    (Fake(PutNotStored), Profile::Classic, "resources"),
    (Fake(PatchNotStored), Profile::Classic, "resources"),
    (Fake(DeleteNotStored), Profile::Classic, "resources"),
    (Fake(PutUpserts), Profile::Classic, "resources"),
    (Fake(PatchRequiresBothFields), Profile::Classic, "resources"),
    (Fake(FirstDuplicateWins), Profile::Classic, "tokens"),
    (Fake(CritIgnored), Profile::V1, "tokens"),
    (Fake(HeaderParametersRefused), Profile::Classic, "tokens"),
    (Fake(EmbeddedJwkTrusted), Profile::V1, "tokens"),
    (Fake(KidSelectsKey), Profile::Classic, "tokens"),
    (Fake(ListStaleAfterUpdate), Profile::Classic, "resources"),
    (Fake(ListRepeatsUpdated), Profile::Classic, "resources"),
    (Fake(PatchNotTrimmed), Profile::Classic, "resources"),
];

/// Defects the suite does not catch yet, and why. Each must still conform; when the suite
/// learns to catch one, its test fails and the defect moves to `CASES`.
const GAPS: &[(Broken, Profile, &str, &str)] = &[];

/// Binaries running at once: enough to overlap the expiry waits, few enough for two cores.
const PARALLEL_RUNS: usize = 4;

/// Waits for every case; fails with all the misses at once.
async fn assert_all_caught(mut runs: JoinSet<Result<(), String>>) {
    let mut failures = Vec::new();
    while let Some(joined) = runs.join_next().await {
        if let Err(why) = joined.expect("a case panicked") {
            failures.push(why);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn selected(broken: Broken) -> bool {
    std::env::var("DEFECT").map_or(true, |only| broken.name().contains(&only))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_defect_fails_the_scenarios_of_the_rule_it_breaks() {
    let limit = Arc::new(Semaphore::new(PARALLEL_RUNS));
    let mut runs = JoinSet::new();
    // The cases that wait for expiry first, so that their waits overlap the rest.
    let mut cases: Vec<_> = CASES.iter().filter(|c| selected(c.0)).collect();
    cases.sort_by_key(|(_, _, tags, _)| !tags.contains(EXPIRY));
    for &(broken, profile, tags, expected) in cases {
        let limit = limit.clone();
        runs.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let outcome = match run_against(Some(broken), profile, Some(tags)).await {
                Ok(run) => caught(&run, expected)
                    .map(|()| (broken.name(), rules_caught(&run, expected)))
                    .map_err(|why| format!("{why}\n{}", summary(&run))),
                Err(e) => Err(e),
            };
            outcome.map_err(|why| {
                format!(
                    "{} ({profile:?}, tags {tags:?}) is not caught: {why}",
                    broken.name()
                )
            })
        });
    }
    let mut failures = Vec::new();
    let mut caught_by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while let Some(joined) = runs.join_next().await {
        match joined.expect("a case panicked") {
            Ok((defect, rules)) => caught_by.entry(defect).or_default().extend(rules),
            Err(why) => failures.push(why),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    if std::env::var_os("DEFECT").is_none() {
        trace::assert_every_must_rule_is_caught(&caught_by);
        trace::check_readme_table(&caught_by);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn properties_falsified_by_the_defects_they_target() {
    let limit = Arc::new(Semaphore::new(PARALLEL_RUNS));
    let mut runs = JoinSet::new();
    for &(broken, profile, property) in PROPERTY_CASES.iter().filter(|c| selected(c.0)) {
        let limit = limit.clone();
        runs.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let run = harness::run_properties(Some(broken), profile, property).await?;
            let falsified = format!("✗ {property}");
            if run.code == 1
                && run.stdout.contains(&falsified)
                && run.stdout.contains("smallest failing input")
            {
                if std::env::var_os("SHOW_COUNTEREXAMPLES").is_some() {
                    println!("== {} ({property}):\n{}", broken.name(), run.stdout);
                }
                Ok(())
            } else {
                Err(format!(
                    "{} is not caught by the {property} property (exit {}):\n{}\n{}",
                    broken.name(),
                    run.code,
                    run.stdout,
                    run.stderr
                ))
            }
        });
    }
    assert_all_caught(runs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn properties_hold_on_the_correct_fake() {
    for profile in [Profile::Classic, Profile::V1] {
        for property in ["tokens", "bodies", "resources"] {
            let run = harness::run_properties(None, profile, property)
                .await
                .expect("ran");
            assert_eq!(
                run.code, 0,
                "{property} with {profile:?}:\n{}\n{}",
                run.stdout, run.stderr
            );
        }
    }
}

/// Why the correct fake may skip a scenario: what a profile leaves out, and a token that
/// expired in flight on a loaded machine. Anything else would hide a scenario it cannot pass.
const ALLOWED_SKIPS: &[&str] = &[
    "the profile declares no ",
    "the profile does not declare ",
    "the profile declares refresh token rotation",
    "the target does not rotate refresh tokens",
    "the profile has no resource collection",
    "the profile has no users endpoint",
    "the profile's login is not an email",
    "expired while the scenario ran",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_fake_conforms() {
    let mut runs = JoinSet::new();
    for profile in [
        Profile::Classic,
        Profile::V1,
        Profile::Blacklisting,
        Profile::Limited,
        Profile::Rs256,
    ] {
        runs.spawn(async move { (profile, run_against(None, profile, None).await) });
    }
    while let Some(joined) = runs.join_next().await {
        let (profile, run) = joined.expect("a run panicked");
        let run = run.expect("the suite ran");
        assert_eq!(
            run.code,
            0,
            "the correct fake fails with {profile:?}:\n{}",
            summary(&run)
        );
        let totals = &run.report["runs"][0]["totals"];
        assert_eq!(
            totals["warnings"], 0,
            "SHOULD warnings with {profile:?}:\n{}",
            run.stdout
        );
        let passed = with_verdict(&run.report, "passed");
        assert!(
            passed.len() > 150,
            "only {} scenarios passed with {profile:?}",
            passed.len()
        );
        if profile == Profile::Rs256 {
            // The asymmetric scenarios ran there, every one of them.
            let asymmetric: Vec<&str> = CASES
                .iter()
                .filter(|c| c.1 == Profile::Rs256)
                .flat_map(|c| c.3.iter().copied())
                .collect();
            for name in asymmetric {
                assert!(
                    passed.iter().any(|(n, _)| n == name),
                    "{name:?} did not pass on the correct RS256 fake"
                );
            }
        }
        for (name, _) in with_verdict(&run.report, "skipped") {
            let scenario = run.report["runs"][0]["scenarios"]
                .as_array()
                .and_then(|all| all.iter().find(|s| s["scenario"] == name.as_str()))
                .cloned()
                .unwrap_or_default();
            let reason = scenario["reason"].as_str().unwrap_or_default();
            assert!(
                ALLOWED_SKIPS.iter().any(|a| reason.contains(a)),
                "{name:?} skipped with {profile:?}: {reason}"
            );
        }
    }
}

/// `BodyOn204` really puts a body on the wire (an HTTP client would hide it).
#[tokio::test]
async fn body_on_204_is_really_on_the_wire() {
    let fake = fake::spawn(Some(BodyOn204), Rotation::Off, fake::Signing::Hs256)
        .await
        .expect("the fake starts");
    let addr = fake.base_url.trim_start_matches("http://");
    let login = format!(
        r#"{{"username": "{}", "password": "{}"}}"#,
        ALICE.username, ALICE.password
    );
    let pair = raw(addr, "POST", "/gettoken/", None, &login)
        .await
        .expect("login");
    let pair: Value = serde_json::from_str(body_of(&pair)).expect("a token pair");
    let access = pair["access"].as_str().expect("an access token");
    let created = raw(
        addr,
        "POST",
        "/api/resource/",
        Some(access),
        r#"{"field1": "a", "field2": "b"}"#,
    )
    .await
    .expect("create");
    let created: Value = serde_json::from_str(body_of(&created)).expect("a resource");
    let item = format!("/api/resource/{}/", created["id"]);
    let deleted = raw(addr, "DELETE", &item, Some(access), "")
        .await
        .expect("delete");
    assert!(deleted.starts_with("HTTP/1.1 204"), "{deleted}");
    assert!(
        body_of(&deleted).contains("Resource deleted successfully."),
        "{deleted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gaps_are_still_gaps() {
    for &(broken, profile, tags, why) in GAPS.iter().filter(|g| selected(g.0)) {
        let run = run_against(Some(broken), profile, Some(tags))
            .await
            .expect("the suite ran");
        assert_eq!(
            run.code,
            0,
            "the suite now catches {} ({why}): move it from GAPS to CASES\n{}",
            broken.name(),
            summary(&run)
        );
    }
}

/// Prints the table of defects (markdown) for the README.
#[test]
#[ignore = "prints the README table; run with --ignored --nocapture"]
fn defect_table() {
    println!("| defect | how it is broken | scenario(s) that catch it | property |");
    println!("|---|---|---|---|");
    for &(broken, profile, _, expected) in CASES {
        let target = match broken {
            Fake(_) => "",
            Mock(_) => " (wiremock)",
        };
        let property = PROPERTY_CASES
            .iter()
            .find(|p| p.0 == broken)
            .map_or("", |p| p.2);
        println!(
            "| `{}`{target} ({profile:?}) | {} | {} | {property} |",
            broken.name(),
            broken.bug(),
            expected.join("; ")
        );
    }
    for &(broken, _, _, why) in GAPS {
        println!(
            "| `{}` | {} | not caught yet: {why} |",
            broken.name(),
            broken.bug()
        );
    }
}

/// Measures how much of the suite the broken servers exercise: of the MUST scenarios that pass
/// on the correct fake, how many fail under at least one defect (run with each case's tags).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints coverage figures; run with --ignored --nocapture"]
async fn scenario_coverage() {
    use std::collections::BTreeSet;
    let mut must: BTreeSet<String> = BTreeSet::new();
    for profile in [
        Profile::Classic,
        Profile::V1,
        Profile::Blacklisting,
        Profile::Limited,
        Profile::Rs256,
    ] {
        let run = run_against(None, profile, None)
            .await
            .expect("the suite ran");
        let scenarios = run.report["runs"][0]["scenarios"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let verdicts = run.report["runs"][0]["verdicts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (s, v) in scenarios.iter().zip(&verdicts) {
            if s["level"] == "must" && *v == "passed" {
                must.insert(s["scenario"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    let limit = Arc::new(Semaphore::new(PARALLEL_RUNS));
    let mut runs = JoinSet::new();
    for &(broken, profile, tags, _) in CASES {
        let limit = limit.clone();
        runs.spawn(async move {
            let _permit = limit.acquire_owned().await;
            run_against(Some(broken), profile, Some(tags)).await
        });
    }
    let mut caught: BTreeSet<String> = BTreeSet::new();
    while let Some(joined) = runs.join_next().await {
        let run = joined.expect("joined").expect("the suite ran");
        caught.extend(
            with_verdict(&run.report, "failed")
                .into_iter()
                .map(|(n, _)| n),
        );
    }
    let covered = must.iter().filter(|m| caught.contains(*m)).count();
    println!(
        "{covered} of {} MUST scenarios that pass on the correct fake fail under at least one defect",
        must.len()
    );
    for m in must.iter().filter(|m| !caught.contains(*m)) {
        println!("  not failed by any defect: {m}");
    }
}
