@blacklist
Feature: Refresh tokens rotated away stay refused
  With blacklist after rotation, every refresh token that was traded in (the
  one from login and each one after it in the chain) is refused from then on,
  at the refresh endpoint and at verify, for as long as it would otherwise
  live. A blacklist that remembers only the first rotation, forgets entries
  early, or is never consulted by verify lets a stolen refresh token back in.

  Background:
    Given the profile declares blacklist after rotation
    And I have obtained a token pair

  @must
  Scenario Outline: A refresh token rotated away later in the chain is refused
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    When I keep ${new_refresh} as ${second}
    And I refresh with ${second}
    Then the status is 200
    And the body carries a new refresh token
    When I refresh with ${second}
    Then the status is <status>
    And the body is '<body>'
    When I refresh with ${refresh}
    Then the status is <status>
    And ${new_refresh} still refreshes

    @classic @rule:ROT-3
    Examples:
      | status | body               |
      | 400    | {"refresh": ["*"]} |

    @simplejwt @rule:ROT-3
    Examples:
      | status | body                                                          |
      | 401    | {"detail": "Token is blacklisted", "code": "token_not_valid"} |

  @must @rule:ROT-3 @waits
  Scenario: A refresh token rotated away is still refused long after the rotation
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    When I wait until ${access} has expired
    Then ${refresh} has not expired yet
    When I refresh with ${refresh}
    Then the status is 400 or 401

  # A blacklist whose entries live for the refresh lifetime counted from the rotation, or
  # whose time to live is rounded down, lets the token back in just before it expires. A
  # blacklist that drops due entries when the next one comes in shows it only after another
  # rotation: the second refresh is one (its answer is not checked: that token is in its last
  # second too, and may expire on the way).
  @must @rule:ROT-3 @waits
  Scenario: A refresh token rotated away is still refused in the last second of its life
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    When I wait until ${refresh} has less than a second to live
    And I refresh with ${new_refresh}
    And I refresh with ${refresh}
    Then the status is 400 or 401

  @must
  Scenario Outline: A refresh token rotated away fails verification
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new refresh token
    When I verify ${refresh}
    Then the status is <status>
    And the body is '<body>'

    @classic @rule:ROT-4
    Examples:
      | status | body                                        |
      | 400    | {"token": ["Token is invalid or expired."]} |

    @simplejwt @rule:ROT-4
    Examples:
      | status | body                                           |
      | 400    | {"non_field_errors": ["Token is blacklisted"]} |
