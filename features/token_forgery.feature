@forgery
Feature: Forged and mangled tokens are refused
  Without knowing the server's key, a client can still try "alg: none",
  stripped or truncated signatures, payloads edited under the original
  signature, tokens signed with another key, and garbage in any segment. None
  of them may be accepted anywhere, and afterwards the genuine token still
  works, so a server that simply locks everything out does not pass.
  The exact refusal bodies of each endpoint are pinned by the features of that
  endpoint; here every mangled token is tried against all three uses.

  Background:
    Given I have obtained a token pair

  @must
  Scenario Outline: An access token <case> is refused by the protected endpoint
    Given I authenticate with "Bearer ${access:<mutation>}"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}'
    And ${access} is still accepted by the protected endpoint

    @rule:TOK-5
    Examples:
      | case                                     | mutation                   |
      | with alg "none"                          | alg-none                   |
      | with alg "None"                          | alg-None                   |
      | with alg "NONE"                          | alg-NONE                   |
      | with alg "nOnE"                          | alg-nOnE                   |
      | with alg "none" and its signature kept   | alg-none-keep-signature    |
      | without the alg header                   | no-alg                     |
      | with an empty signature                  | no-signature               |
      | without the signature segment            | two-segments               |
      | with a truncated signature               | truncated-signature        |
      | with a flipped signature byte            | flipped-signature          |
      | with another user under the old signature | tampered-user             |
      | with an edited jti under the old signature | tampered                 |
      | with a later expiry under the old signature | tampered-exp            |
      | re-signed with another key               | other-key                  |
      | re-signed with an empty key              | empty-key                  |

    @rule:TOK-19
    Examples:
      | case                                     | mutation                   |
      | with a garbage header                    | garbage-header             |
      | with a garbage payload                   | garbage-payload            |
      | with a garbage signature                 | garbage-signature          |
      | with a payload that is not JSON          | non-json-payload           |
      | with a header that is not JSON           | non-json-header            |

    @rule:TOK-18
    Examples:
      | case                                     | mutation                   |
      | with a fourth segment                    | extra-segment              |

  @must
  Scenario Outline: An access token <case> fails verification
    When I verify ${access:<mutation>}
    Then the status is 400 or 401
    And ${access} still verifies

    @rule:TOK-5
    Examples:
      | case                                     | mutation                   |
      | with alg "none"                          | alg-none                   |
      | with alg "NONE"                          | alg-NONE                   |
      | with alg "none" and its signature kept   | alg-none-keep-signature    |
      | with an empty signature                  | no-signature               |
      | without the signature segment            | two-segments               |
      | with a flipped signature byte            | flipped-signature          |
      | with an edited jti under the old signature | tampered                 |
      | with a later expiry under the old signature | tampered-exp            |
      | re-signed with another key               | other-key                  |

    @rule:TOK-19
    Examples:
      | case                                     | mutation                   |
      | with a garbage payload                   | garbage-payload            |

    @rule:TOK-18
    Examples:
      | case                                     | mutation                   |
      | with a fourth segment                    | extra-segment              |

  @must
  Scenario Outline: A refresh token <case> does not refresh
    When I refresh with ${refresh:<mutation>}
    Then the status is 400 or 401
    And ${refresh} still refreshes

    @rule:TOK-5
    Examples:
      | case                                     | mutation                   |
      | with alg "none"                          | alg-none                   |
      | with alg "nOnE"                          | alg-nOnE                   |
      | with alg "none" and its signature kept   | alg-none-keep-signature    |
      | with an empty signature                  | no-signature               |
      | with a truncated signature               | truncated-signature        |
      | with an edited jti under the old signature | tampered                 |
      | with a later expiry under the old signature | tampered-exp            |
      | re-signed with another key               | other-key                  |

    @rule:TOK-19
    Examples:
      | case                                     | mutation                   |
      | with a garbage header                    | garbage-header             |

    @rule:TOK-18
    Examples:
      | case                                     | mutation                   |
      | with a fourth segment                    | extra-segment              |

  @must @rule:TOK-9
  Scenario: A refresh token cannot authenticate a request
    Given I authenticate with "Bearer ${refresh}"
    When I GET the protected endpoint
    Then the status is 401
    And ${access} is still accepted by the protected endpoint

  @must @rule:TOK-9
  Scenario: An access token cannot refresh
    When I refresh with ${access}
    Then the status is 400 or 401
    And ${refresh} still refreshes
