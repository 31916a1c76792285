@headers
Feature: Header parameters and exact values never weaken verification
  A token's header can name a key (kid), point at one (jku, x5u) or carry one
  (jwk, x5c). A server verifies every token with its own key whatever those
  say, refuses a header that marks an extension it does not understand as
  critical, reads a name given twice as refused or as its last value, never
  its first, and compares alg and token_type exactly. Servers that look a key
  up by kid, trust an embedded jwk, or case-fold the type get these wrong.

  Background:
    Given I have obtained a token pair

  @must @rule:TOK-13
  Scenario Outline: An access token whose header <case> is refused
    Given I authenticate with "Bearer ${access:<mutation>}"
    When I GET the protected endpoint
    Then the status is 401
    And ${access} is still accepted by the protected endpoint

    Examples:
      | case                                          | mutation      |
      | embeds the key it was signed with as a jwk    | jwk-attacker  |
      | points jku at the key it was signed with      | jku-attacker  |
      | names an empty file as its kid                | kid-empty-key |

  @must @rule:TOK-13
  Scenario Outline: A refresh token whose header <case> does not refresh
    When I refresh with ${refresh:<mutation>}
    Then the status is 400 or 401
    And ${refresh} still refreshes

    Examples:
      | case                                          | mutation      |
      | embeds the key it was signed with as a jwk    | jwk-attacker  |
      | names an empty file as its kid                | kid-empty-key |

  @must @rule:TOK-13 @needs-key
  Scenario Outline: Tokens signed with the server's key and carrying <param> are accepted as without it
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:with-<param>}"
    When I GET the protected endpoint
    Then the status is 200
    And ${refresh:with-<param>} still refreshes

    Examples:
      | param |
      | kid   |
      | jku   |
      | x5u   |
      | jwk   |
      | x5c   |

  @must @rule:TOK-14 @needs-key
  Scenario: A token with a critical header extension is refused everywhere
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:crit}"
    When I GET the protected endpoint
    Then the status is 401
    When I refresh with ${refresh:crit}
    Then the status is 400 or 401
    When I verify ${access:crit}
    Then the status is 400 or 401

  @must @rule:TOK-15 @needs-key
  Scenario: An access token whose token_type is given twice, "refresh" last, does not authenticate
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:dup-type-other-last}"
    When I GET the protected endpoint
    Then the status is 401

  @must @rule:TOK-15 @needs-key
  Scenario: A refresh token whose token_type is given twice, "access" last, does not refresh
    Given the server's signing key is known
    When I refresh with ${refresh:dup-type-other-last}
    Then the status is 400 or 401

  @must @rule:TOK-15 @needs-key
  Scenario: A token whose exp is given twice, a past one last, is refused everywhere
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:dup-exp-past-last}"
    When I GET the protected endpoint
    Then the status is 401
    When I refresh with ${refresh:dup-exp-past-last}
    Then the status is 400 or 401
    When I verify ${access:dup-exp-past-last}
    Then the status is 400 or 401

  @must @rule:TOK-15 @needs-key
  Scenario: A token whose alg is given twice, "none" last, is refused
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:dup-alg-none-last}"
    When I GET the protected endpoint
    Then the status is 401
    When I verify ${access:dup-alg-none-last}
    Then the status is 400 or 401

  @must @rule:TOK-16 @needs-key
  Scenario Outline: An access token <case> is refused by the protected endpoint
    Given the server's signing key is known
    And I authenticate with "Bearer ${access:<forgery>}"
    When I GET the protected endpoint
    Then the status is 401
    And ${access} is still accepted by the protected endpoint

    Examples:
      | case                        | forgery      |
      | whose alg is "hs256"        | alg-hs256    |
      | typed "Access"              | type-Access  |
      | typed "ACCESS"              | type-ACCESS  |
      | whose token_type is 1       | type-numeric |

  @must @rule:TOK-16 @needs-key
  Scenario Outline: A refresh token <case> does not refresh
    Given the server's signing key is known
    When I refresh with ${refresh:<forgery>}
    Then the status is 400 or 401
    And ${refresh} still refreshes

    Examples:
      | case                        | forgery      |
      | whose alg is "hs256"        | alg-hs256    |
      | typed "Refresh"             | type-Refresh |
      | whose token_type is 1       | type-numeric |
