@rotation
Feature: Refresh token rotation and blacklisting
  A target rotates refresh tokens when its refresh response carries a new
  "refresh" next to the "access". The profile may say that rotation is
  expected (or that it must not happen); otherwise the suite detects it.
  With blacklist-after-rotation (declared in the profile) the refresh token
  that was traded in is refused from then on.

  Background:
    Given I have obtained a token pair

  @must @rule:ROT-1
  Scenario: Rotation happens exactly when the profile says it does
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And the refresh response rotates the refresh token as the profile declares

  @must @rule:ROT-2
  Scenario: A rotated refresh token is a new refresh token that works
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And the body carries a new refresh token
    And ${new_refresh} has the claims '{"token_type": "refresh", "exp": "$int", "iat": "$int", "jti": "+", "user_id": "$id", "...": "..."}'
    And ${new_refresh}'s "jti" differs from ${refresh}'s "jti"
    And ${new_refresh}'s "user_id" equals ${refresh}'s "user_id"
    And ${new_refresh} still refreshes

  @must @rule:ROT-3
  Scenario Outline: After rotation with blacklisting, the old refresh token is refused
    Given the profile declares blacklist after rotation
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    When I refresh with ${refresh}
    Then the status is <status>
    And the body is '<body>'

    @classic
    Examples:
      | status | body               |
      | 400    | {"refresh": ["*"]} |

    @simplejwt
    Examples:
      | status | body                                                      |
      | 401    | {"detail": "Token is blacklisted", "code": "token_not_valid"} |

  @should @rule:ROT-5
  Scenario: After rotation with blacklisting, access tokens issued earlier keep working
    Given the profile declares blacklist after rotation
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And the body carries a new refresh token
    And ${access} is accepted by the protected endpoint
    And ${new_access} is accepted by the protected endpoint

  @should @rule:ROT-6
  Scenario: Without rotation a refresh token can be used again
    Given the target does not rotate refresh tokens
    When I refresh with ${refresh}
    Then the status is 200
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
