@obtaining
Feature: Obtaining a token pair
  A client trades an active account's credentials for an access token and a
  refresh token. The login field is the profile's: "username" on the classic
  /gettoken/, "email" on /api/v1/token/. Bad credentials never reveal whether
  the account exists or is active: the answer is the same in every case.

  @must @rule:OBT-1 @rule:HTTP-1
  Scenario Outline: Valid credentials sent as <encoding> give a token pair
    When I log in with the account's credentials as <encoding>
    Then the status is 200
    And the body is a token pair
    And ${access} is accepted by the protected endpoint

    Examples:
      | encoding |
      | JSON     |
      | a form   |

  @info @rule:HTTP-2
  Scenario: Valid credentials sent as multipart are accepted or refused as unsupported
    When I log in with the account's credentials as multipart
    Then the status is 200 or 415
    And I note the response

  # A stack that parses JSON and forms but lets multipart through unread answers
  # "This field is required." to credentials it was sent.
  @must @rule:HTTP-20
  Scenario: Valid credentials sent as multipart log in, unless multipart is refused as unsupported
    When I log in with the account's credentials as multipart
    Then the status is 200 or 415

  @must
  Scenario Outline: A wrong password is refused with the dialect's credentials error
    When I log in with a wrong password
    Then the status is <status>
    And the body is '<body>'

    @classic @rule:OBT-2
    Examples:
      | status | body                                                                  |
      | 400    | {"non_field_errors": ["Unable to log in with provided credentials."]} |

    @simplejwt @rule:OBT-3
    Examples:
      | status | body                                                              |
      | 401    | {"detail": "No active account found with the given credentials"} |

  @must @rule:OBT-4
  Scenario Outline: Logging in <who> gets exactly the wrong-password answer
    When I log in with a wrong password
    And I log in <who>
    Then the last two responses have the same status and body

    Examples:
      | who                                        |
      | as an unknown login                        |
      | as the inactive account                    |
      | as the inactive account with a wrong password |
      | with a numeric login                       |

  @must
  Scenario Outline: <case> is a 400 naming each bad field
    When I POST the obtain endpoint with <body>
    Then the status is 400
    And the body is '<errors>'

    @rule:OBT-5
    Examples:
      | case                          | body                                                                   | errors                                                                                          |
      | A missing login field         | the JSON '{"password": "${password}"}'                                 | {"${login_field}": ["This field is required."]}                                                 |
      | A missing password            | the JSON '{"${login_field}": "${login}"}'                              | {"password": ["This field is required."]}                                                       |
      | An empty JSON object          | the JSON '{}'                                                          | {"${login_field}": ["This field is required."], "password": ["This field is required."]}        |
      | A form without the password   | the form '${login_field}=${login}'                                     | {"password": ["This field is required."]}                                                       |
      | A blank login and password    | the JSON '{"${login_field}": "", "password": ""}'                      | {"${login_field}": ["This field may not be blank."], "password": ["This field may not be blank."]} |
      | A whitespace-only login       | the JSON '{"${login_field}": "   ", "password": "${password}"}'        | {"${login_field}": ["This field may not be blank."]}                                            |
      | A null login and password     | the JSON '{"${login_field}": null, "password": null}'                  | {"${login_field}": ["This field may not be null."], "password": ["This field may not be null."]} |

    @rule:HTTP-5
    Examples:
      | case                          | body                                                                   | errors                                                                                          |
      | An empty body                 | an empty body                                                          | {"${login_field}": ["This field is required."], "password": ["This field is required."]}        |
      | An empty body typed as JSON   | an empty body typed "application/json"                                 | {"${login_field}": ["This field is required."], "password": ["This field is required."]}        |
      | An empty body typed as text   | an empty body typed "text/plain"                                       | {"${login_field}": ["This field is required."], "password": ["This field is required."]}        |

    @rule:HTTP-7
    Examples:
      | case                          | body                                                                   | errors                                                                                          |
      | A boolean login               | the JSON '{"${login_field}": true, "password": "${password}"}'         | {"${login_field}": ["Not a valid string."]}                                                     |
      | An object as password         | the JSON '{"${login_field}": "${login}", "password": {"a": 1}}'        | {"password": ["Not a valid string."]}                                                           |
      | An array as login             | the JSON '{"${login_field}": ["${login}"], "password": "${password}"}' | {"${login_field}": ["Not a valid string."]}                                                     |

  @should @rule:OBT-6
  Scenario Outline: A JSON body that is not an object is a 400 naming its type: <json>
    When I POST the obtain endpoint with the JSON '<json>'
    Then the status is 400
    And the body is '{"non_field_errors": ["Invalid data. Expected a dictionary, but got <type>."]}'

    Examples:
      | json  | type     |
      | []    | list     |
      | "x"   | str      |
      | 1     | int      |
      | 1.5   | float    |
      | true  | bool     |

  @should @rule:OBT-6
  Scenario: A JSON null body is a 400 saying no data was provided
    When I POST the obtain endpoint with the JSON 'null'
    Then the status is 400
    And the body is '{"non_field_errors": ["No data provided"]}'
