@waits
Feature: Tokens expire for real
  These scenarios wait, in real time, until just past a token's own "exp"
  (read from the token as exp - iat, counted from when it was received, so a
  skewed server clock does not matter). With leeway 0 a token is refused from
  its "exp" second on. A wait longer than --max-wait skips the scenario, with
  the reason; it is never counted as passed. The waits of all scenarios
  overlap, so the whole feature costs about one refresh lifetime.

  Background:
    Given I have obtained a token pair

  @must @rule:TOK-6
  Scenario: An expired access token is refused by the protected endpoint
    Given I authenticate with "Bearer ${access}"
    When I wait until ${access} has expired
    And I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}'

  @must @rule:TOK-6
  Scenario Outline: An expired access token fails verification
    When I wait until ${access} has expired
    And I verify ${access}
    Then the status is <status>
    And the body is '<body>'

    @classic
    Examples:
      | status | body                                      |
      | 400    | {"token": ["Token is invalid or expired."]} |

    @simplejwt
    Examples:
      | status | body                                                  |
      | 401    | {"detail": "Token is expired", "code": "token_not_valid"} |

  @must @rule:REF-6
  Scenario: The refresh token still works after the access token expired
    When I wait until ${access} has expired
    And I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And ${new_access} is accepted by the protected endpoint

  @must @rule:TOK-6
  Scenario Outline: An expired refresh token is refused
    When I wait until ${refresh} has expired
    And I refresh with ${refresh}
    Then the status is <status>
    And the body is '<body>'

    @classic @rule:REF-2
    Examples:
      | status | body                                      |
      | 400    | {"refresh": ["The given token is expired."]} |

    @simplejwt @rule:REF-3
    Examples:
      | status | body                                                  |
      | 401    | {"detail": "Token is expired", "code": "token_not_valid"} |

  @must @rule:TOK-6
  Scenario Outline: An expired refresh token fails verification
    When I wait until ${refresh} has expired
    And I verify ${refresh}
    Then the status is <status>
    And the body is '<body>'

    @classic
    Examples:
      | status | body                                      |
      | 400    | {"token": ["Token is invalid or expired."]} |

    @simplejwt
    Examples:
      | status | body                                                  |
      | 401    | {"detail": "Token is expired", "code": "token_not_valid"} |
