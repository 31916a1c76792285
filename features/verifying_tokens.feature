@verifying
Feature: Verifying a token
  The verify endpoint says whether a token is genuine and unexpired. It checks
  the signature, "exp" and the presence of "jti"; it does not look the user up.

  Background:
    Given I have obtained a token pair

  @must @rule:HTTP-1
  Scenario Outline: A valid access token sent as <encoding> verifies
    When I verify ${access} as <encoding>
    Then the status is 200
    And the body is '<body>'

    @classic @rule:VER-1
    Examples:
      | encoding | body                |
      | JSON     | {"status": "valid"} |
      | a form   | {"status": "valid"} |

    @simplejwt @rule:VER-2
    Examples:
      | encoding | body |
      | JSON     | {}   |
      | a form   | {}   |

  @must @simplejwt @rule:VER-2
  Scenario: A valid refresh token verifies too
    When I verify ${refresh}
    Then the status is 200
    And the body is '{}'

  @info @classic @rule:VER-6
  Scenario: Verifying a valid refresh token is implementation-defined
    When I verify ${refresh}
    Then the status is not a server error
    And I note the response

  @must
  Scenario Outline: <case> fails verification
    When I verify <token>
    Then the status is <status>
    And the body is '<body>'
    And ${access} still verifies

    @classic @rule:VER-3
    Examples:
      | case                                    | token                   | status | body                                      |
      | Garbage                                 | not-a-token             | 400    | {"token": ["Token is invalid or expired."]} |
      | An access token signed with another key | ${access:other-key}     | 400    | {"token": ["Token is invalid or expired."]} |
      | An access token with alg none           | ${access:alg-none}      | 400    | {"token": ["Token is invalid or expired."]} |
      | An access token with a tampered payload | ${access:tampered}      | 400    | {"token": ["Token is invalid or expired."]} |
      | An access token without its signature   | ${access:no-signature}  | 400    | {"token": ["Token is invalid or expired."]} |
      | An access token with a truncated signature | ${access:truncated-signature} | 400 | {"token": ["Token is invalid or expired."]} |

    @simplejwt @rule:VER-4
    Examples:
      | case                                    | token                   | status | body                                                  |
      | Garbage                                 | not-a-token             | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | An access token signed with another key | ${access:other-key}     | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | An access token with alg none           | ${access:alg-none}      | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | An access token with a tampered payload | ${access:tampered}      | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | An access token without its signature   | ${access:no-signature}  | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | An access token with a truncated signature | ${access:truncated-signature} | 401 | {"detail": "Token is invalid", "code": "token_not_valid"} |

  @must @rule:VER-5
  Scenario Outline: <case> is a 400 naming the token field
    When I POST the verify endpoint with <body>
    Then the status is 400
    And the body is '<errors>'

    Examples:
      | case            | body                       | errors                                      |
      | A missing field | the JSON '{}'              | {"token": ["This field is required."]}       |
      | An empty body   | an empty body              | {"token": ["This field is required."]}       |
      | A blank field   | the JSON '{"token": ""}'   | {"token": ["This field may not be blank."]}  |
      | A null field    | the JSON '{"token": null}' | {"token": ["This field may not be null."]}   |
