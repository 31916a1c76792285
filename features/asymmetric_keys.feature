@asymmetric
Feature: Asymmetric tokens are verified with the configured algorithm and key only
  A deployment that signs with RS256, ES256 or EdDSA (the profile declares it:
  [tokens] algorithm) publishes its public key, so anyone holds that key. The
  server must never let a token's header turn it into an HMAC secret (algorithm
  confusion), pick another algorithm, or bring a key of its own: it verifies
  with its configured algorithm and key only. Its own tokens carry that
  algorithm and verify under the key it publishes. Scenarios that need the
  public key (--verifying-key-file, or jwks_url in the profile) or the private
  key (--signing-key-file) are skipped without it, saying so; against an HMAC
  deployment all of them are skipped. The attacker's keys are the suite's own,
  published with it.

  Background:
    Given the profile declares an asymmetric algorithm
    And I have obtained a token pair

  @must @rule:TOK-22 @needs-public-key
  Scenario: Issued tokens carry the declared alg and verify under the server's public key
    Given the server's public key is known
    Then ${access} carries the declared alg and verifies under the server's public key
    And ${refresh} carries the declared alg and verifies under the server's public key
    When I refresh with ${refresh}
    Then the status is 200
    And the body carries a new access token
    And ${new_access} carries the declared alg and verifies under the server's public key

  @must @rule:TOK-21
  Scenario Outline: An access token <case> is refused by the protected endpoint
    Given I authenticate with "Bearer ${access:<forgery>}"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}'
    And ${access} is still accepted by the protected endpoint

    @needs-public-key
    Examples:
      | case                                                      | forgery          |
      | re-signed with HS256 keyed with the public key's PEM text | hs256-public-pem |
      | re-signed with HS256 keyed with the public key's DER      | hs256-public-der |

    Examples:
      | case                                                      | forgery          |
      | signed by another key of its type                         | attacker-key     |
      | signed by another key of its type embedded as a jwk       | attacker-key-jwk |

    @needs-key
    Examples:
      | case                                                      | forgery          |
      | re-signed with the server's RSA key under PS256           | alg-PS256        |
      | re-signed with the server's RSA key under RS512           | alg-RS512        |

  @must @rule:TOK-21
  Scenario Outline: An access token <case> fails verification
    When I verify ${access:<forgery>}
    Then the status is <status>
    And the body is '<body>'
    And ${access} still verifies

    @classic @needs-public-key
    Examples:
      | case                                                      | forgery          | status | body                                        |
      | re-signed with HS256 keyed with the public key's PEM text | hs256-public-pem | 400    | {"token": ["Token is invalid or expired."]} |
      | re-signed with HS256 keyed with the public key's DER      | hs256-public-der | 400    | {"token": ["Token is invalid or expired."]} |

    @classic
    Examples:
      | case                                                      | forgery          | status | body                                        |
      | signed by another key of its type                         | attacker-key     | 400    | {"token": ["Token is invalid or expired."]} |
      | signed by another key of its type embedded as a jwk       | attacker-key-jwk | 400    | {"token": ["Token is invalid or expired."]} |

    @classic @needs-key
    Examples:
      | case                                                      | forgery          | status | body                                        |
      | re-signed with the server's RSA key under PS256           | alg-PS256        | 400    | {"token": ["Token is invalid or expired."]} |

    @simplejwt @needs-public-key
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | re-signed with HS256 keyed with the public key's PEM text | hs256-public-pem | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | re-signed with HS256 keyed with the public key's DER      | hs256-public-der | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |

    @simplejwt
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | signed by another key of its type                         | attacker-key     | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | signed by another key of its type embedded as a jwk       | attacker-key-jwk | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |

    @simplejwt @needs-key
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | re-signed with the server's RSA key under PS256           | alg-PS256        | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |

  @must @rule:TOK-21
  Scenario Outline: A refresh token <case> does not refresh
    When I refresh with ${refresh:<forgery>}
    Then the status is <status>
    And the body is '<body>'
    And ${refresh} still refreshes

    @classic @needs-public-key
    Examples:
      | case                                                      | forgery          | status | body               |
      | re-signed with HS256 keyed with the public key's PEM text | hs256-public-pem | 400    | {"refresh": ["*"]} |
      | re-signed with HS256 keyed with the public key's DER      | hs256-public-der | 400    | {"refresh": ["*"]} |

    @classic
    Examples:
      | case                                                      | forgery          | status | body               |
      | signed by another key of its type                         | attacker-key     | 400    | {"refresh": ["*"]} |
      | signed by another key of its type embedded as a jwk       | attacker-key-jwk | 400    | {"refresh": ["*"]} |

    @classic @needs-key
    Examples:
      | case                                                      | forgery          | status | body               |
      | re-signed with the server's RSA key under PS256           | alg-PS256        | 400    | {"refresh": ["*"]} |

    @simplejwt @needs-public-key
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | re-signed with HS256 keyed with the public key's PEM text | hs256-public-pem | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | re-signed with HS256 keyed with the public key's DER      | hs256-public-der | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |

    @simplejwt
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | signed by another key of its type                         | attacker-key     | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
      | signed by another key of its type embedded as a jwk       | attacker-key-jwk | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |

    @simplejwt @needs-key
    Examples:
      | case                                                      | forgery          | status | body                                                      |
      | re-signed with the server's RSA key under PS256           | alg-PS256        | 401    | {"detail": "Token is invalid", "code": "token_not_valid"} |
