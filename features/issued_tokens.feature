@issued
Feature: Tokens issued by refresh and by rotation
  A token minted by the refresh endpoint is held to the rules of one minted
  at login: the standard header, integer times counted from the moment of the
  refresh, the lifetime of its type, and a jti that no other token has. Refresh
  code often copies claims from the token it was given, or builds the new
  token by hand on a second code path; these scenarios catch both.

  Background:
    Given I have obtained a token pair

  @must @rule:REF-5
  Scenario: A refreshed access token has the standard header, integer times and the access lifetime
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And ${new_access} has the header '{"alg": "HS256", "typ": "JWT"}'
    And ${new_access} has the claims '{"token_type": "access", "exp": "$int", "iat": "$int", "jti": "+", "user_id": "$id", "...": "..."}'
    And ${new_access} lives exactly as long as ${access}
    And ${new_access}'s "user_id" equals ${access}'s "user_id"

  @must @rule:REF-5
  Scenario: A refreshed access token has a jti that no other token has
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And the "jti" claims of ${new_access}, ${access} and ${refresh} are all different

  @must @rule:REF-5 @waits
  Scenario: A refreshed access token is issued at the time of the refresh
    When I wait 1.2 seconds
    And I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And ${new_access}'s "iat" is greater than ${access}'s "iat"
    And ${new_access}'s "exp" is greater than ${access}'s "exp"
    And ${new_access} lives exactly as long as ${access}
    And ${new_access} was issued just now and expires later

  @must @rule:ROT-2
  Scenario: A rotated refresh token has the standard header, its own jti and the refresh lifetime
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And the body carries a new refresh token
    And ${new_refresh} has the header '{"alg": "HS256", "typ": "JWT"}'
    And ${new_refresh} has the claims '{"token_type": "refresh", "exp": "$int", "iat": "$int", "jti": "+", "user_id": "$id", "...": "..."}'
    And ${new_refresh} lives exactly as long as ${refresh}
    And the "jti" claims of ${new_refresh}, ${new_access}, ${refresh} and ${access} are all different

  @must @rule:ROT-2 @waits
  Scenario: A rotated refresh token is issued at the time of the refresh and slides its expiry
    When I wait 1.2 seconds
    And I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    And ${new_refresh}'s "iat" is greater than ${refresh}'s "iat"
    And ${new_refresh}'s "exp" is greater than ${refresh}'s "exp"
    And ${new_refresh} lives exactly as long as ${refresh}
