@credentials
Feature: Credentials are matched exactly as stored
  A login and a password match only as stored: a login or password that
  differs in case is a wrong credential, while surrounding whitespace is
  trimmed from both, as DRF's CharField trims it. The simplejwt obtain
  endpoint takes an email in its email field, never a username. Bodies typed
  "application/json" with parameters are JSON.

  @must @rule:OBT-7
  Scenario Outline: Logging in with <case> gets exactly the wrong-password answer
    When I log in with a wrong password
    And I POST the obtain endpoint with the JSON '{"${login_field}": "<login>", "password": "<password>"}'
    Then the last two responses have the same status and body

    Examples:
      | case                          | login                 | password                 |
      | the login in the other case   | ${login_swapped_case} | ${password}              |
      | the password in the other case | ${login}             | ${password_swapped_case} |

  @must @rule:OBT-7
  Scenario: Whitespace around the password is trimmed, as a CharField trims it
    When I POST the obtain endpoint with the JSON '{"${login_field}": "${login}", "password": "  ${password}  "}'
    Then the status is 200
    And the body is a token pair

  @must @rule:OBT-8 @simplejwt
  Scenario: The email field does not take a username
    When I log in with a wrong password
    And I POST the obtain endpoint with the JSON '{"email": "${login_local_part}", "password": "${password}"}'
    Then the last two responses have the same status and body

  @must @rule:HTTP-4
  Scenario Outline: Credentials typed "<type>" are read as JSON
    When I POST the obtain endpoint with the body '{"${login_field}": "${login}", "password": "${password}"}' typed "<type>"
    Then the status is 200
    And the body is a token pair

    Examples:
      | type                            |
      | application/json; charset=utf-8 |
      | application/json;charset=UTF-8  |

  @must @rule:HTTP-4
  Scenario: A refresh token typed "application/json; charset=utf-8" is read as JSON
    Given I have obtained a token pair
    When I POST the refresh endpoint with the body '{"refresh": "${refresh}"}' typed "application/json; charset=utf-8"
    Then the status is 200
    And the body carries a new access token
