@refreshing
Feature: Refreshing the access token
  A refresh token buys a new access token. Anything that is not a valid,
  unexpired refresh token signed by the server is refused: in the classic
  dialect with a 400 naming the "refresh" field, in the simplejwt dialect with
  a 401 coded "token_not_valid".

  Background:
    Given I have obtained a token pair

  @must @rule:REF-1 @rule:HTTP-1
  Scenario Outline: A valid refresh token sent as <encoding> gives a new, working access token
    When I refresh with ${refresh} as <encoding>
    Then the status is 200
    And the body carries a new access token
    And ${new_access} has the claims '{"token_type": "access", "...": "..."}'
    And ${new_access} is accepted by the protected endpoint

    Examples:
      | encoding |
      | JSON     |
      | a form   |

  @must @rule:REF-5
  Scenario: A refreshed access token is a new token for the same user
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And ${new_access}'s "jti" differs from ${access}'s "jti"
    And ${new_access}'s "exp" is at least ${access}'s "exp"
    And ${new_access}'s "user_id" equals ${access}'s "user_id"

  @must
  Scenario Outline: <case> is refused at the refresh endpoint
    When I refresh with <token>
    Then the status is <status>
    And the body is '<body>'
    And ${refresh} still refreshes

    @classic @rule:REF-2
    Examples:
      | case                                  | token                  | status | body              |
      | An access token                       | ${access}              | 400    | {"refresh": ["*"]} |
      | Garbage                               | not-a-token            | 400    | {"refresh": ["*"]} |
      | A refresh token signed with another key | ${refresh:other-key} | 400    | {"refresh": ["*"]} |
      | A refresh token with alg none         | ${refresh:alg-none}    | 400    | {"refresh": ["*"]} |
      | A refresh token with a tampered payload | ${refresh:tampered}  | 400    | {"refresh": ["*"]} |
      | A refresh token without its signature | ${refresh:no-signature} | 400   | {"refresh": ["*"]} |

    @simplejwt @rule:REF-3
    Examples:
      | case                                  | token                  | status | body                                                      |
      | An access token                       | ${access}              | 401    | {"detail": "Token has wrong type", "code": "token_not_valid"} |
      | Garbage                               | not-a-token            | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}     |
      | A refresh token signed with another key | ${refresh:other-key} | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}     |
      | A refresh token with alg none         | ${refresh:alg-none}    | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}     |
      | A refresh token with a tampered payload | ${refresh:tampered}  | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}     |
      | A refresh token without its signature | ${refresh:no-signature} | 401   | {"detail": "Token is invalid", "code": "token_not_valid"}     |

  @must @rule:REF-4
  Scenario Outline: <case> is a 400 naming the refresh field
    When I POST the refresh endpoint with <body>
    Then the status is 400
    And the body is '<errors>'

    Examples:
      | case                 | body                           | errors                                      |
      | A missing field      | the JSON '{}'                  | {"refresh": ["This field is required."]}     |
      | An empty body        | an empty body                  | {"refresh": ["This field is required."]}     |
      | A blank field        | the JSON '{"refresh": ""}'     | {"refresh": ["This field may not be blank."]} |
      | A null field         | the JSON '{"refresh": null}'   | {"refresh": ["This field may not be null."]}  |
      | A field of the wrong type | the JSON '{"refresh": {"token": "x"}}' | {"refresh": ["Not a valid string."]} |
