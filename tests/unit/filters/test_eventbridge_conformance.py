"""Conformance with AWS EventBridge's documented event-pattern examples.

One case per example of AWS's "Content filtering in Amazon EventBridge
event patterns", "Comparison operators for use in event patterns", the
arrays and null-value pages, and aws/event-ruler's README (which those
pages follow), each with events that must and must not match. The
examples are rewritten from the documented semantics, not copied.

Every case is checked twice: by the pattern filter on the document, and by
the compiled matcher on an Event whose payload is the document (the
pattern nested under ``payload``), so the index agrees with the filter on
the whole grammar.
"""

import pytest

from pratai_bridge.events.model import Event
from pratai_bridge.filters.base import FilterSpecError
from pratai_bridge.filters.pattern import PatternFilter
from pratai_bridge.matcher import Matcher
from pratai_bridge.subscriptions.model import Subscription

# event-ruler's README sample event (an EC2 state change).
EC2 = {
    'version': '0', 'id': 'ddddd4-aaaa-7777-4444-345dd43cc333',
    'detail-type': 'EC2 Instance State-change Notification',
    'source': 'aws.ec2', 'account': '012345679012',
    'time': '2017-10-02T16:24:49Z', 'region': 'us-east-1',
    'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/'
                  'i-000000aaaaaa00000'],
    'detail': {'c-count': 5, 'd-count': 3, 'x-limit': 301.8,
               'source-ip': '10.0.0.33',
               'instance-id': 'i-000000aaaaaa00000', 'state': 'running'},
}


def ec2(**detail):
    return dict(EC2, detail=dict(EC2['detail'], **detail))


def both(pattern, document):
    """The filter's answer, after checking the matcher gives the same."""
    direct = PatternFilter(pattern).match(document)
    subscription = Subscription(
        name='s', function='f',
        filters=(PatternFilter({'payload': pattern}),))
    event = Event(message_id='m', source='aws', event_type='e',
                  publisher_id=None, priority='info', timestamp='t',
                  project_id=None, user_id=None, resource_id=None,
                  payload=document)
    compiled = bool(Matcher([subscription]).match(event))
    assert compiled is direct, (pattern, document)
    return direct


# (id, pattern, [(document, expected), ...])
CASES = [
    # -- Content filtering page ------------------------------------------
    ('prefix', {'time': [{'prefix': '2017-10-02'}]}, [
        ({'time': '2017-10-02T18:43:48Z'}, True),
        ({'time': '2017-10-03T18:43:48Z'}, False),
        ({'time': 20171002}, False)]),
    ('prefix-ignore-case',
     {'detail': {'service': [{'prefix': {'equals-ignore-case': 'EventB'}}]}},
     [({'detail': {'service': 'EventBridge'}}, True),
      ({'detail': {'service': 'EVENTBRIDGE'}}, True),
      ({'detail': {'service': 'eventb'}}, True),
      ({'detail': {'service': 'Event'}}, False)]),
    ('suffix', {'FileName': [{'suffix': '.png'}]}, [
        ({'FileName': 'image.png'}, True),
        ({'FileName': 'image.PNG'}, False),
        ({'FileName': 'image.png.jpg'}, False)]),
    ('suffix-ignore-case',
     {'detail': {'FileName': [{'suffix': {'equals-ignore-case': '.png'}}]}},
     [({'detail': {'FileName': 'image.PNG'}}, True),
      ({'detail': {'FileName': 'image.pNg'}}, True),
      ({'detail': {'FileName': 'image.gif'}}, False)]),
    ('anything-but-string',
     {'detail': {'state': [{'anything-but': 'initializing'}]}},
     [(ec2(state='running'), True), (ec2(state='initializing'), False)]),
    ('anything-but-number',
     {'detail': {'x-limit': [{'anything-but': 123}]}},
     [(ec2(**{'x-limit': 100}), True), (ec2(**{'x-limit': 123}), False),
      (ec2(**{'x-limit': 123.0}), False)]),
    ('anything-but-string-list',
     {'detail': {'state': [{'anything-but': ['stopped', 'overloaded']}]}},
     [(ec2(state='running'), True), (ec2(state='stopped'), False),
      (ec2(state='overloaded'), False)]),
    ('anything-but-number-list',
     {'detail': {'x-limit': [{'anything-but': [100, 200, 300]}]}},
     [(ec2(**{'x-limit': 301.8}), True), (ec2(**{'x-limit': 200}), False)]),
    ('anything-but-prefix',
     {'detail': {'state': [{'anything-but': {'prefix': 'init'}}]}},
     [(ec2(state='running'), True), (ec2(state='initializing'), False)]),
    ('anything-but-prefix-list',
     {'detail': {'state': [{'anything-but': {'prefix': ['init', 'stop']}}]}},
     [(ec2(state='running'), True), (ec2(state='stopping'), False),
      (ec2(state='initializing'), False)]),
    ('anything-but-suffix',
     {'detail': {'FileName': [{'anything-but': {'suffix': '.txt'}}]}},
     [({'detail': {'FileName': 'notes.md'}}, True),
      ({'detail': {'FileName': 'notes.txt'}}, False)]),
    ('anything-but-suffix-list',
     {'detail': {'FileName': [{'anything-but': {'suffix': ['.txt', '.md']}}]}},
     [({'detail': {'FileName': 'a.png'}}, True),
      ({'detail': {'FileName': 'a.md'}}, False)]),
    ('anything-but-ignore-case',
     {'detail': {'state': [{'anything-but': {
         'equals-ignore-case': ['Stopped', 'OverLoaded']}}]}},
     [(ec2(state='running'), True), (ec2(state='STOPPED'), False),
      (ec2(state='overloaded'), False)]),
    ('anything-but-wildcard',
     {'detail': {'FilePath': [{'anything-but': {'wildcard': '*/lib/*'}}]}},
     [({'detail': {'FilePath': '/usr/bin/cat'}}, True),
      ({'detail': {'FilePath': '/usr/lib/libc.so'}}, False)]),
    ('anything-but-wildcard-list',
     {'detail': {'FilePath': [{'anything-but': {
         'wildcard': ['*/lib/*', '*/bin/*']}}]}},
     [({'detail': {'FilePath': '/etc/hosts'}}, True),
      ({'detail': {'FilePath': '/usr/bin/cat'}}, False),
      ({'detail': {'FilePath': '/usr/lib/x'}}, False)]),
    ('numeric', {'detail': {
        'c-count': [{'numeric': ['>', 0, '<=', 5]}],
        'd-count': [{'numeric': ['<', 10]}],
        'x-limit': [{'numeric': ['=', 3.018e2]}]}},
     [(EC2, True), (ec2(**{'c-count': 0}), False),
      (ec2(**{'c-count': 6}), False), (ec2(**{'d-count': 10}), False),
      (ec2(**{'x-limit': 301.9}), False), (ec2(**{'c-count': '5'}), False)]),
    ('cidr-ipv4', {'detail': {'sourceIPAddress': [{'cidr': '10.0.0.0/24'}]}},
     [({'detail': {'sourceIPAddress': '10.0.0.0'}}, True),
      ({'detail': {'sourceIPAddress': '10.0.0.255'}}, True),
      ({'detail': {'sourceIPAddress': '10.0.1.0'}}, False),
      ({'detail': {'sourceIPAddress': 'not-an-ip'}}, False)]),
    ('cidr-ipv6', {'detail': {'sourceIPAddress': [{'cidr': '2001:db8::/64'}]}},
     [({'detail': {'sourceIPAddress': '2001:db8::1'}}, True),
      ({'detail': {'sourceIPAddress': '2001:db8:0:0:ffff::1'}}, True),
      ({'detail': {'sourceIPAddress': '2001:db8:1::1'}}, False),
      ({'detail': {'sourceIPAddress': '10.0.0.1'}}, False)]),
    ('exists-true', {'detail': {'state': [{'exists': True}]}}, [
        ({'detail': {'instance-id': 'i-abcd1111', 'state': 'pending'}}, True),
        ({'detail': {'c-count': {'c1': 100}}}, False)]),
    ('exists-false', {'detail': {'c-count': [{'exists': False}]}}, [
        ({'detail': {'state': ['initializing', 'running']}}, True),
        # c-count is not a leaf: exists only looks at leaves.
        ({'detail': {'state': 'running', 'c-count': {'c1': 100}}}, True),
        (EC2, False)]),
    ('complex', {
        'time': [{'prefix': '2017-10-02'}],
        'detail': {'state': [{'anything-but': 'initializing'}],
                   'c-count': [{'numeric': ['>', 0, '<=', 5]}],
                   'd-count': [{'numeric': ['<', 10]}],
                   'x-limit': [{'anything-but': [100, 200, 300]}],
                   'source-ip': [{'cidr': '10.0.0.0/8'}]}},
     [(EC2, True), (ec2(state='initializing'), False),
      (ec2(**{'source-ip': '192.168.0.1'}), False),
      (dict(EC2, time='2017-10-03T00:00:00Z'), False)]),
    # -- Comparison operators page ---------------------------------------
    ('and', {'Location': ['New York'], 'Day': ['Monday']}, [
        ({'Location': 'New York', 'Day': 'Monday'}, True),
        ({'Location': 'New York', 'Day': 'Tuesday'}, False)]),
    ('begins-with', {'Region': [{'prefix': 'us-'}]}, [
        ({'Region': 'us-east-1'}, True), ({'Region': 'eu-west-1'}, False)]),
    ('anything-but-begins-with', {'Region': [{'anything-but':
                                              {'prefix': 'us-'}}]}, [
        ({'Region': 'eu-west-1'}, True), ({'Region': 'us-east-1'}, False)]),
    ('anything-but-ends-with', {'FileName': [{'anything-but':
                                              {'suffix': '.png'}}]}, [
        ({'FileName': 'a.jpg'}, True), ({'FileName': 'a.png'}, False)]),
    ('anything-but-ignore-case-one', {'state': [{'anything-but': {
        'equals-ignore-case': 'initializing'}}]}, [
        ({'state': 'running'}, True), ({'state': 'INITIALIZING'}, False)]),
    ('empty', {'LastName': ['']}, [
        ({'LastName': ''}, True), ({'LastName': 'Smith'}, False),
        ({'LastName': None}, False), ({}, False)]),
    ('equals', {'Name': ['Alice']}, [
        ({'Name': 'Alice'}, True), ({'Name': 'alice'}, False)]),
    ('equals-ignore-case', {'Name': [{'equals-ignore-case': 'alice'}]}, [
        ({'Name': 'ALICE'}, True), ({'Name': 'Alicia'}, False)]),
    ('equals-ignore-case-detail-type', {'detail-type': [{
        'equals-ignore-case': 'ec2 instance state-change notification'}]},
     [(EC2, True), (dict(EC2, **{'detail-type': 'Other'}), False)]),
    ('ends-with-ignore-case', {'service': [{'suffix': {
        'equals-ignore-case': 'tbridge'}}]}, [
        ({'service': 'EventBridge'}, True), ({'service': 'EVENTBRIDGE'}, True),
        ({'service': 'EventBus'}, False)]),
    ('exists-product', {'ProductName': [{'exists': True}]}, [
        ({'ProductName': 'x'}, True), ({'Other': 'x'}, False)]),
    ('does-not-exist', {'ProductName': [{'exists': False}]}, [
        ({'Other': 'x'}, True), ({'ProductName': 'x'}, False)]),
    ('not', {'Weather': [{'anything-but': ['Raining']}]}, [
        ({'Weather': 'Sunny'}, True), ({'Weather': 'Raining'}, False),
        ({}, False)]),
    ('null', {'UserID': [None]}, [
        ({'UserID': None}, True), ({'UserID': ''}, False), ({}, False)]),
    ('numeric-equals', {'Price': [{'numeric': ['=', 100]}]}, [
        ({'Price': 100}, True), ({'Price': 100.0}, True),
        ({'Price': 101}, False), ({'Price': '100'}, False)]),
    ('numeric-range', {'Price': [{'numeric': ['>', 10, '<=', 20]}]}, [
        ({'Price': 20}, True), ({'Price': 10.5}, True), ({'Price': 10}, False),
        ({'Price': 20.01}, False)]),
    ('or-values', {'PaymentType': ['Credit', 'Debit']}, [
        ({'PaymentType': 'Debit'}, True), ({'PaymentType': 'Cash'}, False)]),
    ('or-fields', {'$or': [{'Location': ['New York']}, {'Day': ['Monday']}]},
     [({'Location': 'New York', 'Day': 'Friday'}, True),
      ({'Location': 'Boston', 'Day': 'Monday'}, True),
      ({'Location': 'Boston', 'Day': 'Friday'}, False)]),
    ('wildcard-dir', {'FileName': [{'wildcard': 'dir/*.png'}]}, [
        ({'FileName': 'dir/a.png'}, True), ({'FileName': 'dir/b/c.png'}, True),
        ({'FileName': 'other/a.png'}, False), ({'FileName': 'dir/a.jpg'},
                                                False)]),
    ('wildcard-arn', {'EventBusArn': [{'wildcard':
                                       'arn:aws:events:us-east-1:*:'
                                       'event-bus/*'}]}, [
        ({'EventBusArn': 'arn:aws:events:us-east-1:123456789012:event-bus/'
                         'test-bus'}, True),
        ({'EventBusArn': 'arn:aws:events:us-west-2:123456789012:event-bus/'
                         'test-bus'}, False)]),
    # -- event-ruler README ----------------------------------------------
    ('simple', {'detail-type': ['EC2 Instance State-change Notification'],
                'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/'
                              'i-000000aaaaaa00000'],
                'detail': {'state': ['initializing', 'running']}},
     [(EC2, True), (ec2(state='initializing'), True),
      (ec2(state='stopped'), False)]),
    ('suffix-source', {'source': [{'suffix': 'ec2'}]}, [
        (EC2, True), (dict(EC2, source='aws.s3'), False)]),
    ('equals-ignore-case-source', {'source': [{'equals-ignore-case':
                                               'AWS.EC2'}]}, [
        (EC2, True), (dict(EC2, source='aws.ec'), False)]),
    ('wildcard-simple', {'source': [{'wildcard': 'Simple*Service'}]}, [
        ({'source': 'SimpleQueueService'}, True),
        ({'source': 'SimpleService'}, True),
        ({'source': 'SimpleQueueServices'}, False)]),
    ('wildcard-escaped-star', {'source': [{'wildcard': 'a\\*b'}]}, [
        ({'source': 'a*b'}, True), ({'source': 'axb'}, False)]),
    ('wildcard-escaped-backslash', {'source': [{'wildcard': 'a\\\\*'}]}, [
        ({'source': 'a\\anything'}, True), ({'source': 'ab'}, False)]),
    ('or-normal', {'source': ['aws.cloudwatch'], '$or': [
        {'metricName': ['CPUUtilization', 'ReadLatency']},
        {'namespace': ['AWS/EC2', 'AWS/ES']}]},
     [({'source': 'aws.cloudwatch', 'metricName': 'ReadLatency'}, True),
      ({'source': 'aws.cloudwatch', 'namespace': 'AWS/ES'}, True),
      ({'source': 'aws.cloudwatch', 'namespace': 'AWS/S3'}, False),
      ({'source': 'aws.ec2', 'namespace': 'AWS/ES'}, False)]),
    ('or-parallel', {
        '$or': [{'metricName': ['CPUUtilization', 'ReadLatency']},
                {'namespace': ['AWS/EC2', 'AWS/ES']}],
        'detail': {'$or': [
            {'source': ['aws.cloudwatch']},
            {'detail-type': ['CloudWatch Alarm State Change']}]}},
     [({'namespace': 'AWS/EC2', 'detail': {'source': 'aws.cloudwatch'}},
       True),
      ({'metricName': 'ReadLatency',
        'detail': {'detail-type': 'CloudWatch Alarm State Change'}}, True),
      ({'metricName': 'ReadLatency', 'detail': {'source': 'aws.ec2'}},
       False)]),
    ('or-with-and', {'source': ['aws.cloudwatch'], '$or': [
        {'metricName': ['CPUUtilization', 'ReadLatency']},
        {'metricType': ['MetricType'], 'namespace': ['AWS/EC2', 'AWS/ES']},
        {'scope': ['Service']}]},
     [({'source': 'aws.cloudwatch', 'metricType': 'MetricType',
        'namespace': 'AWS/EC2'}, True),
      ({'source': 'aws.cloudwatch', 'metricType': 'MetricType'}, False),
      ({'source': 'aws.cloudwatch', 'scope': 'Service'}, True)]),
    ('or-nested', {'source': ['aws.cloudwatch'], '$or': [
        {'metricName': ['CPUUtilization', 'ReadLatency']},
        {'metricType': ['MetricType'], 'namespace': ['AWS/EC2', 'AWS/ES'],
         '$or': [{'metricId': [1234]}, {'spaceId': [1000]}]},
        {'scope': ['Service']}]},
     [({'source': 'aws.cloudwatch', 'metricType': 'MetricType',
        'namespace': 'AWS/ES', 'spaceId': 1000}, True),
      ({'source': 'aws.cloudwatch', 'metricType': 'MetricType',
        'namespace': 'AWS/ES', 'metricId': 1234.0}, True),
      ({'source': 'aws.cloudwatch', 'metricType': 'MetricType',
        'namespace': 'AWS/ES'}, False)]),
    # -- Arrays page and event-ruler's array matching --------------------
    ('array-intersection', {'resources': [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f']},
     [({'resources': ['arn:aws:ec2:us-east-1:123456789012:instance/'
                      'i-b188560f', 'arn:aws:ec2:us-east-1:444455556666:'
                      'instance/i-b188560f']}, True),
      ({'resources': ['arn:aws:ec2:us-east-1:444455556666:instance/'
                      'i-b188560f']}, False)]),
    ('array-of-objects', {'employees': {'firstName': ['Anna']}}, [
        ({'employees': [{'firstName': 'John', 'lastName': 'Doe'},
                        {'firstName': 'Anna', 'lastName': 'Smith'}]}, True),
        ({'employees': [[{'firstName': 'John'}], [{'firstName': 'Anna'}]]},
         True),
        ({'employees': [{'firstName': 'John'}]}, False)]),
    ('array-consistency', {'employees': {'firstName': ['Anna'],
                                         'lastName': ['Jones']}}, [
        ({'employees': [{'firstName': 'John', 'lastName': 'Doe'},
                        {'firstName': 'Anna', 'lastName': 'Smith'},
                        {'firstName': 'Peter', 'lastName': 'Jones'}]}, False),
        ({'employees': [{'firstName': 'Anna', 'lastName': 'Jones'}]}, True)]),
    # -- Null values and empty strings page ------------------------------
    ('null-value', {'detail': {'responseElements': [None]}}, [
        ({'detail': {'responseElements': None}}, True),
        ({'detail': {'responseElements': ''}}, False),
        ({'detail': {}}, False)]),
    ('empty-string', {'detail': {'eventVersion': ['']}}, [
        ({'detail': {'eventVersion': ''}}, True),
        ({'detail': {'eventVersion': None}}, False)]),
]


@pytest.mark.parametrize('pattern, cases', [(c[1], c[2]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_documented_example(pattern, cases):
    for document, expected in cases:
        assert both(pattern, document) is expected, document


# Patterns EventBridge refuses, refused at load time with the path.
INVALID = [
    ('numeric-upper-first', {'n': [{'numeric': ['<', 5, '>', 1]}]}),
    ('numeric-empty-range', {'n': [{'numeric': ['>', 5, '<', 5]}]}),
    ('numeric-not-a-number', {'n': [{'numeric': ['>', '5']}]}),
    ('numeric-unknown-op', {'n': [{'numeric': ['!=', 5]}]}),
    ('numeric-too-long', {'n': [{'numeric': ['>', 0, '<', 5, '<', 6]}]}),
    ('anything-but-mixed', {'s': [{'anything-but': ['a', 1]}]}),
    ('anything-but-null', {'s': [{'anything-but': [None]}]}),
    ('anything-but-empty-prefix', {'s': [{'anything-but': {'prefix': ''}}]}),
    ('anything-but-empty-suffix', {'s': [{'anything-but': {'suffix': ''}}]}),
    ('anything-but-numeric', {'s': [{'anything-but': {'numeric': ['>', 1]}}]}),
    ('wildcard-consecutive-stars', {'s': [{'wildcard': 'a**b'}]}),
    ('wildcard-bad-escape', {'s': [{'wildcard': 'a\\b'}]}),
    ('exists-not-bool', {'s': [{'exists': 'yes'}]}),
    ('prefix-not-string', {'s': [{'prefix': 5}]}),
    ('cidr-not-network', {'s': [{'cidr': '10.0.0.0/33'}]}),
    ('unknown-operator', {'s': [{'contains': 'x'}]}),
    ('two-operators', {'s': [{'prefix': 'a', 'suffix': 'b'}]}),
    ('not-a-list', {'s': 'x'}),
    ('empty-list', {'s': []}),
    ('or-one-alternative', {'$or': [{'a': ['1']}]}),
    ('nan', {'n': [float('nan')]}),
]


@pytest.mark.parametrize('pattern', [c[1] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_patterns_are_refused_with_their_path(pattern):
    with pytest.raises(FilterSpecError) as caught:
        PatternFilter({'payload': pattern})
    assert str(caught.value).startswith('payload.')
    assert caught.value.path.startswith('payload.')
