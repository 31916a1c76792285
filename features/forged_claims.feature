@needs-key
Feature: Claim rules, checked with tokens forged with the server's key
  Given the server's signing key (--signing-key), the suite signs tokens that
  differ from a genuine one in exactly one claim. That makes expiry checks
  instant and covers the claim rules: "exp" required and in the past means
  expired (leeway as the profile declares, 0 by default), "nbf" in the future
  refused and a passed one accepted, an "aud" naming another service refused,
  claims the server does not know ignored, "token_type" must match the use,
  "jti" required, the user must exist and be active, and HS256 is the only
  algorithm. Without the key these scenarios are skipped, with that reason.

  Background:
    Given the server's signing key is known
    And I have obtained a token pair
    And ${access:resigned} is accepted by the protected endpoint

  @must
  Scenario Outline: An access token <case> is refused by the protected endpoint
    Given I authenticate with "Bearer ${access:<forgery>}"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '<body>'

    @rule:TOK-6
    Examples:
      | case                              | forgery          | body                                                                                             |
      | that expired a moment ago         | expired          | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |
      | without exp                       | no-exp           | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |

    @rule:TOK-7
    Examples:
      | case                              | forgery          | body                                                                                             |
      | whose nbf is in the future        | nbf-future       | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |


    @rule:TOK-10
    Examples:
      | case                              | forgery          | body                                                                                             |
      | without jti                       | no-jti           | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |

    @rule:TOK-9
    Examples:
      | case                              | forgery          | body                                                                                             |
      | without token_type                | no-type          | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |
      | typed "refresh"                   | type-refresh     | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |
      | of an unknown type                | type-bogus       | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |

    @rule:TOK-5
    Examples:
      | case                              | forgery          | body                                                                                             |
      | signed with HS384                 | alg-HS384        | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |
      | signed with HS512                 | alg-HS512        | {"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}  |

    @rule:TOK-11 @rule:AUTH-11
    Examples:
      | case                              | forgery          | body                                                                                             |
      | naming a user that does not exist | unknown-user     | {"detail": "User not found", "code": "user_not_found"}                                           |
      | naming the inactive account       | inactive-user    | {"detail": "User is inactive", "code": "user_inactive"}                                          |
      | without user_id                   | no-user          | {"detail": "Token contained no recognizable user identification", "code": "token_not_valid"}     |

  @should @rule:TOK-8
  Scenario: An access token issued in the future is refused
    Given I authenticate with "Bearer ${access:iat-future}"
    When I GET the protected endpoint
    Then the status is 401

  @must @rule:TOK-7
  Scenario: An access token whose nbf has passed is accepted
    Given I authenticate with "Bearer ${access:nbf-past}"
    When I GET the protected endpoint
    Then the status is 200

  @should @rule:TOK-23
  Scenario: An access token minted for another audience is refused by the protected endpoint
    Given I authenticate with "Bearer ${access:aud-other}"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}'

  @should @rule:TOK-23
  Scenario: A refresh token minted for another audience is refused
    When I refresh with ${refresh:aud-other}
    Then the status is 400 or 401
    And ${refresh} still refreshes

  @must @rule:TOK-6
  Scenario: An access token that expired within the declared leeway is accepted
    Given the profile declares a leeway of 4 seconds or more
    And I authenticate with "Bearer ${access:expired-within-leeway}"
    When I GET the protected endpoint
    Then the status is 200

  @must @rule:TOK-7
  Scenario: An access token whose nbf is within the declared leeway is accepted
    Given the profile declares a leeway of 4 seconds or more
    And I authenticate with "Bearer ${access:nbf-within-leeway}"
    When I GET the protected endpoint
    Then the status is 200

  @should @rule:TOK-8
  Scenario: An access token issued within the declared leeway in the future is accepted
    Given the profile declares a leeway of 4 seconds or more
    And I authenticate with "Bearer ${access:iat-within-leeway}"
    When I GET the protected endpoint
    Then the status is 200

  @must @rule:TOK-24
  Scenario: An access token carrying a claim the server does not know is accepted
    Given I authenticate with "Bearer ${access:extra-claim}"
    When I GET the protected endpoint
    Then the status is 200

  @must @rule:TOK-24
  Scenario: A refresh token carrying a claim the server does not know refreshes
    When I refresh with ${refresh:extra-claim}
    Then the status is 200

  @must @rule:TOK-12
  Scenario: An access token with a numeric user_id is accepted
    Given I authenticate with "Bearer ${access:numeric-user-id}"
    When I GET the protected endpoint
    Then the status is 200

  @must
  Scenario Outline: An access token <case> fails verification
    When I verify ${access:<forgery>}
    Then the status is <status>
    And the body is '<body>'

    @classic @rule:TOK-6
    Examples:
      | case                      | forgery    | status | body                                      |
      | that expired a moment ago | expired    | 400    | {"token": ["Token is invalid or expired."]} |
      | without exp               | no-exp     | 400    | {"token": ["Token is invalid or expired."]} |

    @classic @rule:TOK-10
    Examples:
      | case                      | forgery    | status | body                                      |
      | without jti               | no-jti     | 400    | {"token": ["Token is invalid or expired."]} |

    @classic @rule:TOK-7
    Examples:
      | case                      | forgery    | status | body                                      |
      | whose nbf is in the future | nbf-future | 400   | {"token": ["Token is invalid or expired."]} |


    @classic @rule:TOK-5
    Examples:
      | case                      | forgery    | status | body                                      |
      | signed with HS512         | alg-HS512  | 400    | {"token": ["Token is invalid or expired."]} |

    @simplejwt @rule:TOK-6
    Examples:
      | case                      | forgery    | status | body                                                          |
      | that expired a moment ago | expired    | 401    | {"detail": "Token is expired", "code": "token_not_valid"}         |
      | without exp               | no-exp     | 401    | {"detail": "Token has no 'exp' claim", "code": "token_not_valid"} |

    @simplejwt @rule:TOK-10
    Examples:
      | case                      | forgery    | status | body                                                          |
      | without jti               | no-jti     | 401    | {"detail": "Token has no id", "code": "token_not_valid"}          |

    @simplejwt @rule:TOK-7
    Examples:
      | case                      | forgery    | status | body                                                          |
      | whose nbf is in the future | nbf-future | 401   | {"detail": "Token is invalid", "code": "token_not_valid"}         |


    @simplejwt @rule:TOK-5
    Examples:
      | case                      | forgery    | status | body                                                          |
      | signed with HS512         | alg-HS512  | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}         |

  @must
  Scenario Outline: A refresh token <case> is refused
    When I refresh with ${refresh:<forgery>}
    Then the status is <status>
    And the body is '<body>'
    And ${refresh} still refreshes

    @classic @rule:TOK-6
    Examples:
      | case                              | forgery       | status | body                                       |
      | that expired a moment ago         | expired       | 400    | {"refresh": ["The given token is expired."]} |
      | without exp                       | no-exp        | 400    | {"refresh": ["*"]}                          |

    @classic @rule:TOK-10
    Examples:
      | case                              | forgery       | status | body                                       |
      | without jti                       | no-jti        | 400    | {"refresh": ["*"]}                          |

    @classic @rule:TOK-9
    Examples:
      | case                              | forgery       | status | body                                       |
      | without token_type                | no-type       | 400    | {"refresh": ["*"]}                          |
      | typed "access"                    | type-access   | 400    | {"refresh": ["*"]}                          |

    @classic @rule:TOK-5
    Examples:
      | case                              | forgery       | status | body                                       |
      | signed with HS512                 | alg-HS512     | 400    | {"refresh": ["*"]}                          |


    @classic @rule:TOK-11
    Examples:
      | case                              | forgery       | status | body                                       |
      | naming a user that does not exist | unknown-user  | 400    | {"refresh": ["*"]}                          |
      | naming the inactive account       | inactive-user | 400    | {"refresh": ["*"]}                          |

    @simplejwt @rule:TOK-6
    Examples:
      | case                              | forgery       | status | body                                                           |
      | that expired a moment ago         | expired       | 401    | {"detail": "Token is expired", "code": "token_not_valid"}          |
      | without exp                       | no-exp        | 401    | {"detail": "Token has no 'exp' claim", "code": "token_not_valid"}  |

    @simplejwt @rule:TOK-10
    Examples:
      | case                              | forgery       | status | body                                                           |
      | without jti                       | no-jti        | 401    | {"detail": "Token has no id", "code": "token_not_valid"}           |

    @simplejwt @rule:TOK-9
    Examples:
      | case                              | forgery       | status | body                                                           |
      | without token_type                | no-type       | 401    | {"detail": "Token has no type", "code": "token_not_valid"}         |
      | typed "access"                    | type-access   | 401    | {"detail": "Token has wrong type", "code": "token_not_valid"}      |

    @simplejwt @rule:TOK-5
    Examples:
      | case                              | forgery       | status | body                                                           |
      | signed with HS512                 | alg-HS512     | 401    | {"detail": "Token is invalid", "code": "token_not_valid"}          |


    @simplejwt @rule:TOK-11
    Examples:
      | case                              | forgery       | status | body                                                           |
      | naming a user that does not exist | unknown-user  | 401    | {"detail": "*", "...": "..."}                                       |
      | naming the inactive account       | inactive-user | 401    | {"detail": "No active account found for the given token."}        |

  # A user_id that names someone is looked up whatever its JSON type (simplejwt looks it up only
  # when it is truthy in Python): a number, a list, an object.
  @must
  Scenario Outline: A refresh token whose user_id <case> is refused
    When I refresh with ${refresh:<forgery>}
    Then the status is <status>
    And the body is '<body>'
    And ${refresh} still refreshes

    @classic @rule:TOK-11 @rule:TOK-12
    Examples:
      | case                                     | forgery               | status | body               |
      | names the inactive account as a number   | inactive-user-numeric | 400    | {"refresh": ["*"]} |

    @classic @rule:TOK-11
    Examples:
      | case                                     | forgery               | status | body               |
      | is a list                                | user-id-list          | 400    | {"refresh": ["*"]} |
      | is an object                             | user-id-object        | 400    | {"refresh": ["*"]} |

    @simplejwt @rule:TOK-11 @rule:TOK-12
    Examples:
      | case                                     | forgery               | status | body                                                       |
      | names the inactive account as a number   | inactive-user-numeric | 401    | {"detail": "No active account found for the given token."} |

    @simplejwt @rule:TOK-11
    Examples:
      | case                                     | forgery               | status | body                          |
      | is a list                                | user-id-list          | 401    | {"detail": "*", "...": "..."} |
      | is an object                             | user-id-object        | 401    | {"detail": "*", "...": "..."} |
