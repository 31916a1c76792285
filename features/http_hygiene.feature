@hygiene
Feature: HTTP hygiene: methods, content types, malformed and oversized bodies
  Besides the scenarios below, EVERY response in EVERY scenario is checked
  against the rules of CONTRACT.md that hold for all responses:
    - no 5xx, ever (HTTP-14);
    - a 401 carries a "WWW-Authenticate" header with the Bearer scheme (AUTH-5);
    - a 405 carries an "Allow" header (HTTP-8);
    - a 204 has an empty body (HTTP-13);
    - a response with a body from one of the profile's endpoints is
      "Content-Type: application/json" (HTTP-12).
  A response that breaks one fails the scenario with that rule's name.

  Background:
    Given I have obtained a token pair

  @must @rule:HTTP-8
  Scenario Outline: <method> on the <endpoint> endpoint is a 405 that lists POST
    When I <method> the <endpoint> endpoint
    Then the status is 405
    And the header "Allow" lists POST
    And the header "Allow" does not list <method>
    And the body is '{"detail": "Method \"<method>\" not allowed."}'

    Examples:
      | endpoint | method |
      | obtain   | GET    |
      | obtain   | PUT    |
      | obtain   | PATCH  |
      | obtain   | DELETE |
      | refresh  | GET    |
      | refresh  | PUT    |
      | refresh  | DELETE |
      | verify   | GET    |
      | verify   | PATCH  |
      | verify   | DELETE |

  @must @crud @rule:HTTP-8
  Scenario Outline: <method> on <target> is a 405 that lists the allowed methods
    Given I authenticate with "Bearer ${access}"
    When I <method> <target>
    Then the status is 405
    And the header "Allow" lists <allowed>
    And the header "Allow" does not list <method>
    And the body is '{"detail": "Method \"<method>\" not allowed."}'

    Examples:
      | method | target            | allowed   |
      | PUT    | the collection    | GET, POST |
      | PATCH  | the collection    | GET, POST |
      | DELETE | the collection    | GET, POST |
      | POST   | my resource       | GET, PUT, PATCH, DELETE |

  @should @rule:AUTH-7
  Scenario: Authentication is checked before the method
    Given I send no Authorization header
    When I PUT the protected endpoint with the JSON '{}'
    Then the status is 401

  @must @rule:HTTP-3
  Scenario Outline: A body typed <type> on the <endpoint> endpoint is a 415
    When I POST the <endpoint> endpoint with the body 'hello' typed "<type>"
    Then the status is 415
    And the body is '{"detail": "Unsupported media type \"<type>\" in request."}'

    Examples:
      | endpoint | type            |
      | obtain   | text/plain      |
      | obtain   | application/xml |
      | refresh  | text/plain      |
      | verify   | text/plain      |

  @must @crud @rule:HTTP-3
  Scenario: A text/plain body on the collection is a 415
    Given I authenticate with "Bearer ${access}"
    When I POST the collection with the body '{"field1": "a", "field2": "b"}' typed "text/plain"
    Then the status is 415
    And the body is '{"detail": "Unsupported media type \"text/plain\" in request."}'

  @must @rule:HTTP-6
  Scenario Outline: Malformed JSON on the <endpoint> endpoint is a 400 JSON parse error
    When I POST the <endpoint> endpoint with the body '<json>' typed "application/json"
    Then the status is 400
    And the body is '{"detail": "JSON parse error - *"}'

    Examples:
      | endpoint | json                    |
      | obtain   | {"username": "alice",   |
      | obtain   | {'single': 'quotes'}    |
      | refresh  | {"refresh":             |
      | verify   | {"token": "x"} trailing |

  @must @crud @rule:HTTP-6
  Scenario: Malformed JSON on the collection is a 400 JSON parse error
    Given I authenticate with "Bearer ${access}"
    When I POST the collection with the body '{"field1":' typed "application/json"
    Then the status is 400
    And the body is '{"detail": "JSON parse error - *"}'

  @must
  Scenario Outline: <case> on the obtain endpoint is a 400, not a crash
    When I POST the obtain endpoint with <body>
    Then the status is 400
    And the body is a JSON object

    @rule:HTTP-6
    Examples:
      | case                          | body                                  |
      | Invalid UTF-8 in a JSON body  | invalid UTF-8 typed "application/json" |

    @rule:HTTP-14
    Examples:
      | case                          | body                                  |
      | JSON nested 100000 levels deep | JSON nested 100000 levels deep       |

    @rule:HTTP-19
    Examples:
      | case                          | body                                  |
      | A NUL byte in a JSON string   | the JSON '{"${login_field}": "\\u0000", "password": "\\u0000"}' |

  @must @rule:HTTP-10
  Scenario Outline: A body over the server's limit on the <endpoint> endpoint is a 413 and the connection stays usable
    When I send 8 MiB of JSON to the <endpoint> endpoint over a raw connection
    Then the status is 413
    And the same connection answers another request

    Examples:
      | endpoint |
      | obtain   |
      | refresh  |

  # A limit refused at its own size (`>=` for `>`) refuses bodies the deployment says it takes;
  # a limit larger than declared lets through what it says it refuses.
  @must @rule:HTTP-10
  Scenario Outline: A login body of exactly the declared limit is read, and one byte more is a 413 (<framing>)
    Given the profile declares the server's body limit
    When I log in with a body of exactly the declared limit <framing> over a raw connection
    Then the status is 200
    When I log in with a body one byte over the declared limit <framing> over a raw connection
    Then the status is 413

    Examples:
      | framing                 |
      | with its Content-Length |
      | in chunks               |

  @should @rule:HTTP-9
  Scenario Outline: The Allow header of the <endpoint> endpoint is exactly POST, OPTIONS
    When I GET the <endpoint> endpoint
    Then the status is 405
    And the header "Allow" is the list "POST, OPTIONS"

    Examples:
      | endpoint |
      | obtain   |
      | refresh  |

  # Raw requests are written with \n line ends; each is sent as CRLF.
  @should @rule:HTTP-11
  Scenario Outline: A body announced over the limit is refused before authentication, without 100 Continue
    When I send the raw request '<request>' over a new connection
    Then the connection answers with the status 413

    Examples:
      | request                                                                                                                  |
      | POST ${protected_path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 1073741824\nExpect: 100-continue\n\n |
      | POST ${protected_path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 8388608\nExpect: 100-continue\n\n    |
      | POST ${obtain_path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 8388608\nExpect: 100-continue\n\n       |

  @must @rule:HTTP-14
  Scenario Outline: A malformed request over raw TCP gets an HTTP answer, not a dropped connection: <case>
    When I send the raw request '<request>' over a new connection
    Then the connection answers with a client error

    Examples:
      | case                  | request                                                                        |
      | garbage request line  | GARBAGE\n\n                                                                |
      | a bad header line     | POST ${obtain_path} HTTP/1.1\nHost: x\nno colon here\n\n                |
      | a bad Content-Length  | POST ${obtain_path} HTTP/1.1\nHost: x\nContent-Length: abc\n\n          |
      | a bad chunk size      | POST ${obtain_path} HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nContent-Type: application/json\n\nZZ\n{}\n0\n\n |

  @info
  Scenario Outline: <case> is implementation-defined
    When I <request>
    Then the status is not a server error
    And I note the response

    @rule:HTTP-15
    Examples:
      | case                                    | request                                                     |
      | The obtain path without its trailing slash | POST the path "${obtain_path_without_slash}" with the JSON '{}' |

    @rule:HTTP-16
    Examples:
      | case                                    | request                                                     |
      | An unknown path                         | GET the path "/this-path-does-not-exist/"                   |

    @rule:HTTP-17
    Examples:
      | case                                    | request                                                     |
      | OPTIONS on the obtain endpoint          | OPTIONS the obtain endpoint                                 |

    @rule:HTTP-18
    Examples:
      | case                                    | request                                                     |
      | An Accept header that excludes JSON     | POST the obtain endpoint with the JSON '{}' accepting "application/xml" |

    @rule:TOK-17
    Examples:
      | case                                    | request                                                     |
      | A non-canonical signature encoding      | verify ${access:non-canonical-signature}                    |

  # A 405's Allow names the methods the resource supports (RFC 9110 §15.5.6): a method it lists
  # and then refuses with 405 (an Allow written once by hand, an OPTIONS route forgotten) tells
  # clients something false. Each listed method is sent with no body.
  @must @rule:HTTP-8
  Scenario Outline: Every method the Allow header of the <endpoint> endpoint lists is allowed
    When I GET the <endpoint> endpoint
    Then the status is 405
    And every method the header "Allow" lists is answered without a 405

    Examples:
      | endpoint |
      | obtain   |
      | refresh  |
      | verify   |

  @must @crud @rule:HTTP-8
  Scenario Outline: Every method the Allow header of <target> lists is allowed
    Given I authenticate with "Bearer ${access}"
    When I <method> <target>
    Then the status is 405
    And every method the header "Allow" lists is answered without a 405

    Examples:
      | method | target         |
      | PUT    | the collection |
      | POST   | my resource    |

  # Without a Content-Length only the bytes read tell the server that the body is over its limit.
  @must @rule:HTTP-10
  Scenario Outline: A chunked body over the server's limit on the <endpoint> endpoint is a 413 and the connection stays usable
    When I send 8 MiB of JSON in chunks to the <endpoint> endpoint over a raw connection
    Then the status is 413
    And the same connection answers another request

    Examples:
      | endpoint |
      | obtain   |
