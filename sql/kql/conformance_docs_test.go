// Code generated from the KQL documentation (MicrosoftDocs/dataexplorer-docs) and then
// kept by hand; see conformance_test.go.

package kql_test

// docExamples are the documentation's own examples with the output it prints.
var docExamples = []docCase{
	{src: "arg-max-aggregation-function", kql: `datatable(Fruit: string, Color: string, Version: int) [
    "Apple", "Red", 1,
    "Apple", "Green", int(null),
    "Banana", "Yellow", int(null),
    "Banana", "Green", int(null),
    "Pear", "Brown", 1,
    "Pear", "Green", 2,
]
| summarize arg_max(Version, *) by Fruit`,
		cols: "Fruit | Version | Color", rows: []string{`Apple | 1 | Red`, `Banana |  | Yellow`, `Pear | 2 | Green`}},
	{src: "arg-min-aggregation-function", kql: `datatable(Fruit: string, Color: string, Version: int) [
    "Apple", "Red", 1,
    "Apple", "Green", int(null),
    "Banana", "Yellow", int(null),
    "Banana", "Green", int(null),
    "Pear", "Brown", 1,
    "Pear", "Green", 2,
]
| summarize arg_min(Version, *) by Fruit`,
		cols: "Fruit | Version | Color", rows: []string{`Apple | 1 | Red`, `Banana |  | Yellow`, `Pear | 1 | Brown`}},
	{src: "between-operator", kql: `range x from 1 to 100 step 1
| where x between (50 .. 55)`,
		cols: "x", rows: []string{`50`, `51`, `52`, `53`, `54`, `55`}},
	{src: "bin-function", kql: `print bin(4.5, 1)`,
		cols: "print_0", rows: []string{`4`}},
	{src: "bin-function", kql: `print bin(datetime(1970-05-11 13:45:07), 1d)`,
		cols: "print_0", rows: []string{`1970-05-11T00:00:00Z`}},
	{src: "case-function", kql: `range Size from 1 to 15 step 2
| extend bucket = case(Size <= 3, "Small", 
                       Size <= 10, "Medium", 
                       "Large")`,
		cols: "Size | bucket", rows: []string{`1 | Small`, `3 | Small`, `5 | Medium`, `7 | Medium`, `9 | Medium`, `11 | Large`, `13 | Large`, `15 | Large`}},
	{src: "countif-aggregation-function", kql: `let T = datatable(name:string, day_of_birth:long)
[
   "John", 9,
   "Paul", 18,
   "George", 25,
   "Ringo", 7
];
T
| summarize countif(strlen(name) > 4)`,
		cols: "countif_", rows: []string{`2`}},
	{src: "datetime-timespan-arithmetic", kql: `let fromUnixTime = (t: long) { 
    datetime(1970-01-01) + t * 1sec 
};
print result = fromUnixTime(1546897531)`,
		cols: "result", rows: []string{`2019-01-07 21:45:31.0000000`}},
	{src: "datetime-timespan-arithmetic", kql: `let toUnixTime = (dt: datetime) { 
    (dt - datetime(1970-01-01)) / 1s 
};
print result = toUnixTime(datetime(2019-01-07 21:45:31.0000000))`,
		cols: "result", rows: []string{`1546897531`}},
	{src: "extract-function", kql: `let _data = datatable(Text: string)
[
"User: James, Email: James@example.com, Age: 29",
"User: David, Age: 35"
];
_data |
extend UserName = extract("User: ([^,]+)", 1, Text),
       EmailId = extract(@"Email: (\S+),", 1, Text),
       Age = extract(@"\d+", 0, Text)`,
		cols: "Text | UserName | EmailId | Age", rows: []string{`User: James, Email: James@example.com, Age: 29 | James | James@example.com | 29`, `User: David, Age: 35 | David |  | 35`}},
	{src: "extract-function", kql: `let Dates = datatable(DateString: string)
[
    "15-12-2024",
    "21-07-2023",
    "10-03-2022"
];
Dates
| extend Month = extract(@"-(\d{2})-", 1, DateString, typeof(int))
| project DateString, Month`,
		cols: "DateString | Month", rows: []string{`15-12-2024 | 12`, `21-07-2023 | 7`, `10-03-2022 | 3`}},
	{src: "format-datetime-function", kql: `let dt = datetime(2017-01-29 09:00:05);
print 
v1=format_datetime(dt,'yy-MM-dd [HH:mm:ss]')`,
		cols: "v1", rows: []string{`17-01-29 [09:00:05]`}},
	{src: "format-datetime-function", kql: `let dt = datetime(2017-01-29 09:00:05);
print 
v2=format_datetime(dt, 'yyyy-M-dd [H:mm:ss]')`,
		cols: "v2", rows: []string{`2017-1-29 [9:00:05]`}},
	{src: "format-datetime-function", kql: `let dt = datetime(2017-01-29 09:00:05);
print 
v3=format_datetime(dt, 'yy-MM-dd [hh:mm:ss tt]')`,
		cols: "v3", rows: []string{`17-01-29 [09:00:05 AM]`}},
	{src: "join-inner", kql: `let X = datatable(Key:string, Value1:long)
[
    'a',1,
    'b',2,
    'b',3,
    'k',5,
    'c',4
];
let Y = datatable(Key:string, Value2:long)
[
    'b',10,
    'c',20,
    'c',30,
    'd',40,
    'k',50
];
X | join kind=inner Y on Key`,
		cols: "Key | Value1 | Key1 | Value2", rows: []string{`b | 3 | b | 10`, `b | 2 | b | 10`, `c | 4 | c | 20`, `c | 4 | c | 30`, `k | 5 | k | 50`}},
	{src: "join-innerunique", kql: `let X = datatable(Key:string, Value1:long)
[
    'a',1,
    'b',2,
    'b',3,
    'c',4
];
let Y = datatable(Key:string, Value2:long)
[
    'b',10,
    'c',20,
    'c',30,
    'd',40
];
X | join Y on Key`,
		cols: "Key | Value1 | Key1 | Value2", rows: []string{`b | 2 | b | 10`, `c | 4 | c | 20`, `c | 4 | c | 30`}},
	{src: "join-innerunique", kql: `let t1 = datatable(key: long, value: string)  
    [
    1, "val1.1",  
    1, "val1.2"  
];
let t2 = datatable(key: long, value: string)  
    [  
    1, "val1.3",
    1, "val1.4"  
];
t1
| join kind = innerunique
    t2
    on key`,
		cols: "key | value | key1 | value1", rows: []string{`1 | val1.1 | 1 | val1.3`, `1 | val1.1 | 1 | val1.4`}},
	{src: "join-leftanti", kql: `let X = datatable(Key:string, Value1:long)
[
    'a',1,
    'b',2,
    'b',3,
    'c',4
];
let Y = datatable(Key:string, Value2:long)
[
    'b',10,
    'c',20,
    'c',30,
    'd',40
];
X | join kind=leftanti Y on Key`,
		cols: "Key | Value1", rows: []string{`a | 1`}},
	{src: "join-leftsemi", kql: `let X = datatable(Key:string, Value1:long)
[
    'a',1,
    'b',2,
    'b',3,
    'c',4
];
let Y = datatable(Key:string, Value2:long)
[
    'b',10,
    'c',20,
    'c',30,
    'd',40
];
X | join kind=leftsemi Y on Key`,
		cols: "Key | Value1", rows: []string{`b | 2`, `b | 3`, `c | 4`}},
	{src: "join-rightsemi", kql: `let X = datatable(Key:string, Value1:long)
[
    'a',1,
    'b',2,
    'b',3,
    'c',4
];
let Y = datatable(Key:string, Value2:long)
[
    'b',10,
    'c',20,
    'c',30,
    'd',40
];
X | join kind=rightsemi Y on Key`,
		cols: "Key | Value2", rows: []string{`b | 10`, `c | 20`, `c | 30`}},
	{src: "join-time-window", kql: `let T = datatable(SessionId:string, EventType:string, Timestamp:datetime)
[
    '0', 'A', datetime(2017-10-01 00:00:00),
    '0', 'B', datetime(2017-10-01 00:01:00),
    '1', 'B', datetime(2017-10-01 00:02:00),
    '1', 'A', datetime(2017-10-01 00:03:00),
    '3', 'A', datetime(2017-10-01 00:04:00),
    '3', 'B', datetime(2017-10-01 00:10:00),
];
T
| where EventType == 'A'
| project SessionId, Start=Timestamp
| join kind=inner
    (
    T 
    | where EventType == 'B'
    | project SessionId, End=Timestamp
    ) on SessionId
| where (End - Start) between (0min .. 1min)
| project SessionId, Start, End`,
		cols: "SessionId | Start | End", rows: []string{`0 | 2017-10-01 00:00:00.0000000 | 2017-10-01 00:01:00.0000000`}},
	{src: "let-statement", kql: `let threshold = 50;
let region = "West";
datatable(Name:string, Score:int, Region:string)
[
    "Alice", 45, "West",
    "Bob", 60, "East",
    "Charlie", 55, "West",
    "Dana", 70, "North"
]
| where Score > threshold and Region == region`,
		cols: "Name | Score | Region", rows: []string{`Charlie | 55 | West`}},
	{src: "let-statement", kql: `let MultiplyByN = (val:long, n:long) { val * n };
range x from 1 to 5 step 1 
| extend result = MultiplyByN(x, 5)`,
		cols: "x | result", rows: []string{`1 | 5`, `2 | 10`, `3 | 15`, `4 | 20`, `5 | 25`}},
	{src: "let-statement", kql: `let TrimOnes = (s:string) { trim("1", s) };
range x from 10 to 15 step 1 
| extend result = TrimOnes(tostring(x))`,
		cols: "x | result", rows: []string{`10 | 0`, `11 | `, `12 | 2`, `13 | 3`, `14 | 4`, `15 | 5`}},
	{src: "logical-operators", kql: `print print=iff(bool(null) and true, true, false)`,
		cols: "print", rows: []string{`false`}},
	{src: "make-list-aggregation-function", kql: `let shapes = datatable (name: string, sideCount: int)
[
    "triangle", 3,
    "square", 4,
    "rectangle", 4,
    "pentagon", 5,
    "hexagon", 6,
    "heptagon", 7,
    "octagon", 8,
    "nonagon", 9,
    "decagon", 10
];
shapes
| summarize mylist = make_list(name)`,
		cols: "mylist", rows: []string{`["triangle","square","rectangle","pentagon","hexagon","heptagon","octagon","nonagon","decagon"]`}},
	{src: "make-list-aggregation-function", kql: `let shapes = datatable (name: string, sideCount: int)
[
    "triangle", 3,
    "square", 4,
    "rectangle", 4,
    "pentagon", 5,
    "hexagon", 6,
    "heptagon", 7,
    "octagon", 8,
    "nonagon", 9,
    "decagon", 10
];
shapes
| summarize mylist = make_list(name) by isEvenSideCount = sideCount % 2 == 0`,
		cols: "isEvenSideCount | mylist", rows: []string{`false | ["triangle","pentagon","heptagon","nonagon"]`, `true | ["square","rectangle","hexagon","octagon","decagon"]`}},
	{src: "make-list-if-aggregation-function", kql: `let T = datatable(name:string, day_of_birth:long)
[
   "John", 9,
   "Paul", 18,
   "George", 25,
   "Ringo", 7
];
T
| summarize make_list_if(name, strlen(name) > 4)`,
		cols: "list_name", rows: []string{`["George", "Ringo"]`}},
	{src: "make-set-aggregation-function", kql: `datatable (Val: int, Arr1: dynamic)
[
    1, dynamic(['A1', 'A2', 'A3']), 
    5, dynamic(['A2', 'C1']),
    7, dynamic(['C2', 'A3']),
    5, dynamic(['C2', 'A1'])
] 
| summarize Val_set=make_set(Val), Arr1_set=make_set(Arr1)`,
		cols: "Val_set | Arr1_set", rows: []string{`[1,5,7] | ["A1","A2","A3","C1","C2"]`}},
	{src: "make-set-if-aggregation-function", kql: `let T = datatable(name:string, day_of_birth:long)
[
   "John", 9,
   "Paul", 18,
   "George", 25,
   "Ringo", 7
];
T
| summarize make_set_if(name, strlen(name) > 4)`,
		cols: "set_name", rows: []string{`["George", "Ringo"]`}},
	{src: "not-between-operator", kql: `range x from 1 to 10 step 1
| where x !between (5 .. 9)`,
		cols: "x", rows: []string{`1`, `2`, `3`, `4`, `10`}},
	{src: "numerical-operators", kql: `print plusPlus = 14 % 12, minusPlus = -14 % 12, plusMinus = 14 % -12, minusMinus = -14 % -12`,
		cols: "plusPlus | minusPlus | plusMinus | minusMinus", rows: []string{`2 | 10 | 2 | 10`}},
	{src: "parse-json-function", kql: `datatable(context_custom_metrics:string)
[
    '{"duration":{"value":118.0,"count":5.0,"min":100.0,"max":150.0,"stdDev":0.0,"sampledValue":118.0,"sum":118.0}}'
]
| extend d = parse_json(context_custom_metrics)
| extend duration_value = d.duration.value, duration_min = d.duration.min`,
		cols: "context_custom_metrics | d | duration_value | duration_min", rows: []string{`{"duration":{"value":118.0,"count":5.0,"min":100.0,"max":150.0,"stdDev":0.0,"sampledValue":118.0,"sum":118.0}} | {"duration":{"value":118,"count":5,"min":100,"max":150,"stdDev":0,"sampledValue":118,"sum":118}} | 118 | 100`}},
	{src: "parse-json-function", kql: `let d='{"a":123, "b":"{\\"c\\":456}"}';
print d`,
		cols: "print_0", rows: []string{`{"a":123, "b":"{\"c\":456}"}`}},
	{src: "parse-json-function", kql: `let d='{"a":123, "b":"{\\"c\\":456}"}';
print d_b_c=parse_json(tostring(parse_json(d).b)).c`,
		cols: "d_b_c", rows: []string{`456`}},
	{src: "print-operator", kql: `print 0 + 1 + 2 + 3 + 4 + 5, x = "Wow!"`,
		cols: "print_0 | x", rows: []string{`15 | Wow!`}},
	{src: "print-operator", kql: `print banner=strcat("Hello", ", ", "World!")`,
		cols: "banner", rows: []string{`Hello, World!`}},
	{src: "project-rename-operator", kql: `print a='alpha', b='bravo', c='charlie'
| project-rename new_a=a, new_b=b, new_c=c`,
		cols: "new_a | new_b | new_c", rows: []string{`alpha | bravo | charlie`}},
	{src: "range-operator", kql: `range Steps from 1 to 8 step 3`,
		cols: "Steps", rows: []string{`1`, `4`, `7`}},
	{src: "replace-string-function", kql: `print Message="A magic trick can turn a cat into a dog"
| extend Outcome = replace_string(
        Message, "cat", "hamster")  // Lookup strings`,
		cols: "Message | Outcome", rows: []string{`A magic trick can turn a cat into a dog | A magic trick can turn a hamster into a dog`}},
	{src: "session-count-plugin", kql: `let _data = range Timeline from 1 to 10000 step 1
    | extend __key = 1
    | join kind=inner (range Id from 1 to 50 step 1 | extend __key=1) on __key
    | where Timeline % Id == 0
    | project Timeline, Id;
// Look on few lines of the data
_data
| order by Timeline asc, Id asc
| take 20`,
		cols: "Timeline | Id", rows: []string{`1 | 1`, `2 | 1`, `2 | 2`, `3 | 1`, `3 | 3`, `4 | 1`, `4 | 2`, `4 | 4`, `5 | 1`, `5 | 5`, `6 | 1`, `6 | 2`, `6 | 3`, `6 | 6`, `7 | 1`, `7 | 7`, `8 | 1`, `8 | 2`, `8 | 4`, `8 | 8`}},
	{src: "startofday-function", kql: `range offset from -1 to 1 step 1
| project dayStart = startofday(datetime(2017-01-01 10:10:17), offset)`,
		cols: "dayStart", rows: []string{`2016-12-31 00:00:00.0000000`, `2017-01-01 00:00:00.0000000`, `2017-01-02 00:00:00.0000000`}},
	{src: "stdev-aggregation-function", kql: `range x from 1 to 5 step 1
| summarize make_list(x), stdev(x)`,
		cols: "list_x | stdev_x", rows: []string{`[ 1, 2, 3, 4, 5] | 1.58113883008419`}},
	{src: "stdevif-aggregation-function", kql: `range x from 1 to 100 step 1
| summarize stdevif(x, x % 2 == 0)`,
		cols: "stdevif_x", rows: []string{`29.1547594742265`}},
	{src: "stdevp-aggregation-function", kql: `range x from 1 to 5 step 1
| summarize make_list(x), stdevp(x)`,
		cols: "list_x | stdevp_x", rows: []string{`[ 1, 2, 3, 4, 5] | 1.4142135623731`}},
	{src: "strcat-function", kql: `print str = strcat("hello", " ", "world")`,
		cols: "str", rows: []string{`hello world`}},
	{src: "strlen-function", kql: `print length = strlen("hello")`,
		cols: "length", rows: []string{`5`}},
	{src: "strlen-function", kql: `print length = strlen("⒦⒰⒮⒯⒪")`,
		cols: "length", rows: []string{`5`}},
	{src: "sumif-aggregation-function", kql: `let T = datatable(name:string, day_of_birth:long)
[
   "John", 9,
   "Paul", 18,
   "George", 25,
   "Ringo", 7
];
T
| summarize sumif(day_of_birth, strlen(name) > 4)`,
		cols: "sumif_day_of_birth", rows: []string{`32`}},
	{src: "summarize-operator", kql: `datatable(x:long)[]
| summarize  count(x), countif(x > 0) , dcount(x), dcountif(x, x > 0)`,
		cols: "count_x | countif_ | dcount_x | dcountif_x", rows: []string{`0 | 0 | 0 | 0`}},
	{src: "summarize-operator", kql: `datatable(x:long)[]
| summarize  make_set(x), make_list(x)`,
		cols: "set_x | list_x", rows: []string{`[] | []`}},
	{src: "summarize-operator", kql: `range x from 1 to 4 step 1
| extend y = iff(x == 1, real(null), real(5))
| summarize sum(y), avg(y)`,
		cols: "sum_y | avg_y", rows: []string{`15 | 5`}},
	{src: "summarize-operator", kql: `range x from 1 to 2 step 1
| extend y = iff(x == 1, real(null), real(5))
| summarize count(y)`,
		cols: "count_y", rows: []string{`2`}},
	{src: "summarize-operator", kql: `range x from 1 to 2 step 1
| extend y = iff(x == 1, real(null), real(5))
| summarize make_set(y), make_set(y)`,
		cols: "set_y | set_y1", rows: []string{`[5.0] | [5.0]`}},
	{src: "table-function", kql: `let T1 = print x=1;
let T2 = print x=2;
let _choose = (_selector:string)
{
    union
    (T1 | where _selector == 'T1'),
    (T2 | where _selector == 'T2')
};
_choose('T2')`,
		cols: "x", rows: []string{`2`}},
	{src: "toint-function", kql: `print toint("123") == 123
|project Integer = print_0`,
		cols: "Integer", rows: []string{`true`}},
	{src: "toint-function", kql: `print toint(2.3)
|project Integer = print_0`,
		cols: "Integer", rows: []string{`2`}},
	{src: "toscalar-function", kql: `let _dataset1 = datatable(x: long)[1, 2, 3, 4, 5];
let _dataset2 = datatable(x: long, y: long) [1, 2, 3, 4, 5, 6];
_dataset1
| join (_dataset2) on x 
| project x, y`,
		cols: "x | y", rows: []string{`1 | 2`, `3 | 4`, `5 | 6`}},
	{src: "trim-end-function", kql: `let string_to_trim = @"bing.com";
let substring = ".com";
print string_to_trim = string_to_trim,trimmed_string = trim_end(substring,string_to_trim)`,
		cols: "string_to_trim | trimmed_string", rows: []string{`bing.com | bing`}},
	{src: "trim-function", kql: `let string_to_trim = @"--https://bing.com--";
let substring = "--";
print string_to_trim = string_to_trim, trimmed_string = trim(substring,string_to_trim)`,
		cols: "string_to_trim | trimmed_string", rows: []string{`--https://bing.com-- | https://bing.com`}},
	{src: "trim-function", kql: `range x from 1 to 5 step 1
| project str = strcat("-  ","Te st",x,@"// $")
| extend trimmed_str = trim(@"[^\w]+",str)`,
		cols: "str | trimmed_str", rows: []string{`-  Te st1// $ | Te st1`, `-  Te st2// $ | Te st2`, `-  Te st3// $ | Te st3`, `-  Te st4// $ | Te st4`, `-  Te st5// $ | Te st5`}},
	{src: "trim-start-function", kql: `range x from 1 to 5 step 1
| project str = strcat("-  ","Te st",x,@"// $")
| extend trimmed_str = trim_start(@"[^\w]+",str)`,
		cols: "str | trimmed_str", rows: []string{`-  Te st1// $ | Te st1// $`, `-  Te st2// $ | Te st2// $`, `-  Te st3// $ | Te st3// $`, `-  Te st4// $ | Te st4// $`, `-  Te st5// $ | Te st5// $`}},
	{src: "variance-aggregation-function", kql: `range x from 1 to 5 step 1
| summarize make_list(x), variance(x)`,
		cols: "list_x | variance_x", rows: []string{`[ 1, 2, 3, 4, 5] | 2.5`}},
	{src: "varianceif-aggregation-function", kql: `range x from 1 to 100 step 1
| summarize varianceif(x, x%2 == 0)`,
		cols: "varianceif_x", rows: []string{`850`}},
	{src: "scalar-data-types/null-values", kql: `datatable(val:int)[5, int(null)]
| extend IsBiggerThan3 = val > 3
| extend IsBiggerThan3OrNull = val > 3 or isnull(val)
| extend IsEqualToNull = val == int(null)
| extend IsNotEqualToNull = val != int(null)`,
		cols: "val | IsBiggerThan3 | IsBiggerThan3OrNull | IsEqualToNull | IsNotEqualToNull", rows: []string{`5 | true | true | false | true`, `null | null | true | null | null`}},
	{src: "scalar-data-types/null-values", kql: `datatable(ival:int, sval:string)[5, "a", int(null), "b"]
| where ival != 5`,
		cols: "ival | sval", rows: []string{`null | b`}},
	{src: "scalar-data-types/null-values", kql: `datatable(val:int)[5, int(null)]
| extend Add = val + 10
| extend Multiply = val * 10`,
		cols: "val | Add | Multiply", rows: []string{`5 | 15 | 50`, `null | null | null`}},
	{src: "scalar-data-types/string", kql: `print
    s1 = 'string with "double quotes"',
    s2 = "string with 'single quotes'"`,
		cols: "s1 | s2", rows: []string{`string with "double quotes" | string with 'single quotes'`}},
	{src: "scalar-data-types/string", kql: `print myPath = @'C:\Folder\filename.txt'`,
		cols: "myPath", rows: []string{`C:\Folder\filename.txt`}},
	{src: "scalar-data-types/string", kql: `print 
    none = strlen("Hello"', '@"world!"),
    whitespace = strlen("Hello" ', ' @"world!"),
    whitespaceAndComment = strlen("Hello" 
        // Comment
        ', '@"world!"
    );`,
		cols: "none | whitespace | whitespaceAndComment", rows: []string{`13 | 13 | 13`}},
	{src: "scalar-data-types/string", kql: `print blob="https://contoso.blob.core.windows.net/container/blob.txt?"
    h'sv=2012-02-12&se=2013-04-13T0...'`,
		cols: "blob", rows: []string{`https://contoso.blob.core.windows.net/container/blob.txt?sv=2012-02-12&se=2013-04-13T0...`}},
	{src: "datatypes-string-operators", kql: `print r = "aBc" == "aBc"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "abc" != "ABC"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "abc" =~ "ABC"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "aBc" !~ "xyz"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "FabriKam" contains "BRik"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !contains "xyz"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "FabriKam" contains_cs "Kam"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !contains_cs "Kam"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" endswith "Kam"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !endswith "brik"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" endswith_cs "kam"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !endswith_cs "brik"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" has "america"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !has "amer"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North and South America" has_all("south", "north")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" has_any("south", "north")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" has_cs "America"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !has_cs "amer"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" hasprefix "ame"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !hasprefix "mer"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" hasprefix_cs "Ame"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !hasprefix_cs "CA"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" hassuffix "ica"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !hassuffix "americ"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" hassuffix_cs "ica"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "North America" !hassuffix_cs "icA"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "abc" in ("123", "345", "abc")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "bca" !in ("123", "345", "abc")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Abc" in~ ("123", "345", "abc")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "bCa" !in~ ("123", "345", "ABC")`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" matches regex "b.*k"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" startswith "fab"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !startswith "kam"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" startswith_cs "Fab"`,
		cols: "r", rows: []string{`true`}},
	{src: "datatypes-string-operators", kql: `print r = "Fabrikam" !startswith_cs "fab"`,
		cols: "r", rows: []string{`true`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-05-25T08:20:03.123456Z)`,
		cols: "d", rows: []string{`2014-05-25T08:20:03.123456Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-05-25T08:20:03.123456)`,
		cols: "d", rows: []string{`2014-05-25T08:20:03.123456Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-05-25T08:20)`,
		cols: "d", rows: []string{`2014-05-25T08:20:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:55:55.123456Z)`,
		cols: "d", rows: []string{`2014-11-08T15:55:55.123456Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:55:55)`,
		cols: "d", rows: []string{`2014-11-08T15:55:55Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:55)`,
		cols: "d", rows: []string{`2014-11-08T15:55:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08)`,
		cols: "d", rows: []string{`2014-11-08T00:00:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Sat, 8 Nov 14 15:05:02 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Sat, 8 Nov 14 15:05:02)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Sat, 8 Nov 14 15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Sat, 8 Nov 14 15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(8 Nov 14 15:05:02 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(8 Nov 14 15:05:02)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(8 Nov 14 15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(8 Nov 14 15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Saturday, 08-Nov-14 15:05:02 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Saturday, 08-Nov-14 15:05:02)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Saturday, 08-Nov-14 15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(Saturday, 08-Nov-14 15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(08-Nov-14 15:05:02 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(08-Nov-14 15:05:02)`,
		cols: "d", rows: []string{`2014-11-08T15:05:02Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(08-Nov-14 15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(08-Nov-14 15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:05:25)`,
		cols: "d", rows: []string{`2014-11-08T15:05:25Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:05:25 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:25Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08 15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08T15:05:25)`,
		cols: "d", rows: []string{`2014-11-08T15:05:25Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08T15:05:25 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:25Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08T15:05)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2014-11-08T15:05 GMT)`,
		cols: "d", rows: []string{`2014-11-08T15:05:00Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2015-12-31 23:59:59.9)`,
		cols: "d", rows: []string{`2015-12-31T23:59:59.9Z`}},
	{src: "scalar-data-types/datetime", kql: `print d = datetime(2015-12-31)`,
		cols: "d", rows: []string{`2015-12-31T00:00:00Z`}},
}
