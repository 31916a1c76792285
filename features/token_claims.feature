@claims
Feature: Token format and claims
  Tokens are JWS in compact form, signed with HS256, carrying simplejwt's
  claims: "token_type", "exp", "iat" (integer seconds), "jti" (unique per
  token) and "user_id" (a string or a number). A refresh token outlives the
  access token issued with it.

  Background:
    Given I have obtained a token pair

  @must @rule:TOK-1
  Scenario: Both tokens are HS256 JWS with a JWT header
    Then ${access} has the header '{"alg": "HS256", "typ": "JWT"}'
    And ${refresh} has the header '{"alg": "HS256", "typ": "JWT"}'

  @must @rule:TOK-2
  Scenario: The access token carries the access claims
    Then ${access} has the claims '{"token_type": "access", "exp": "$int", "iat": "$int", "jti": "+", "user_id": "$id", "...": "..."}'

  @must @rule:TOK-2
  Scenario: The refresh token carries the refresh claims
    Then ${refresh} has the claims '{"token_type": "refresh", "exp": "$int", "iat": "$int", "jti": "+", "user_id": "$id", "...": "..."}'

  @must @rule:TOK-3
  Scenario: Every token has its own jti
    Given I have obtained a second token pair
    Then the "jti" claims of ${access}, ${refresh}, ${access2} and ${refresh2} are all different

  @must @rule:TOK-4
  Scenario: Both tokens of a pair name the same user
    Then ${refresh}'s "user_id" equals ${access}'s "user_id"

  @must @rule:TOK-4
  Scenario: The refresh token outlives the access token issued with it
    Then ${refresh}'s "exp" is greater than ${access}'s "exp"

  @must @rule:TOK-4
  Scenario: Tokens are issued now and expire later
    Then ${access} was issued just now and expires later
    And ${refresh} was issued just now and expires later

  @must @rule:TOK-4
  Scenario: The token lifetimes are the ones the profile declares
    Then ${access} lives for the profile's access lifetime
    And ${refresh} lives for the profile's refresh lifetime

  @info @rule:TOK-20
  Scenario: The token lifetimes are reported
    Then I note the lifetimes of ${access} and ${refresh}
