@boundary @waits
Feature: A token is expired from the first instant of its exp second
  A token is expired once now >= exp, with now measured below the second and
  no leeway unless the profile declares one. A server that compares whole
  seconds (now > exp) or rounds now down keeps every token alive for up to a
  second past its exp; forged "expired" tokens, seconds past exp, never show
  that. These scenarios wait for a real token and present it a third of a
  second into its exp second, so they assume that the target's clock agrees
  with this machine's (they are skipped when its tokens show otherwise).

  Background:
    Given I have obtained a token pair

  @must @rule:TOK-6
  Scenario: An access token presented in the second of its exp is refused
    When I wait until ${access} has just expired
    And I authenticate with "Bearer ${access}"
    And I GET the protected endpoint
    Then the status is 401

  @must @rule:TOK-6
  Scenario: A refresh token presented in the second of its exp does not refresh
    When I wait until ${refresh} has just expired
    And I refresh with ${refresh}
    Then the status is 400 or 401
