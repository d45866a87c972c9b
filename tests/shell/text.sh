# Text applets on fixed input files: cat, grep, sed, awk, sort, uniq, wc,
# head, tail, cut, tr, plus tee, rev, nl, paste, comm-like joins with awk.
export TZ=UTC0
cd "${TMPDIR:-/tmp}" && mkdir "text.$$" && cd "text.$$" || exit 99

cat > fruits <<EOF
apple 3 red
banana 12 yellow
cherry 7 red
date 1 brown
elderberry 25 purple
fig 7 purple
grape 30 green
apple 5 green
EOF
printf 'one\ntwo\n\nthree\n' > lines
printf 'no newline at the end' > nonl
seq 1 100 > numbers

echo "== cat"
cat lines nonl; echo
cat -n lines
cat -A lines 2>/dev/null || cat -v lines
cat < fruits | cat - lines | wc -l
echo "== grep"
grep red fruits
grep -c purple fruits
grep -v -e red -e purple fruits
grep -n '^[a-c]' fruits
grep -i APPLE fruits
grep -E '[0-9]{2} ' fruits
grep -w 7 fruits
grep -o '[0-9][0-9]*' fruits | tr '\n' ' '; echo
grep -l apple fruits lines nonl
grep -q grape fruits && echo "grape found"
grep nothing fruits; echo "no match: status $?"
grep x no-such-file 2>&1; echo "no file: status $?"
grep -r -l red . | sort
echo "== sed"
sed 's/red/RED/' fruits | head -3
sed -n '2,4p' fruits
sed '/purple/d' fruits
sed -e 's/ [0-9]* / /' -e 'y/abc/ABC/' fruits
sed -n '$=' numbers
sed -n '1p;50p;$p' numbers | tr '\n' ' '; echo
sed 's/\(.*\) \(.*\) \(.*\)/\3:\1/' fruits
printf 'a\nb\nc\n' > edit; sed -i '2i\inserted' edit; cat edit
sed '/banana/,/date/s/^/> /' fruits
echo "== awk"
awk '{ total += $2 } END { print "total", total, "lines", NR }' fruits
awk '$3 == "red" { print $1 }' fruits
awk -F' ' '{ count[$3]++ } END { for (c in count) print c, count[c] }' fruits | sort
awk 'BEGIN { printf "%5.2f|%-6s|%x|%e\n", 3.14159, "ab", 255, 12345.678 }'
awk 'length($1) > 5' fruits
awk '{ $2 = $2 * 2; print }' fruits | head -2
awk 'NR % 25 == 0' numbers | tr '\n' ' '; echo
awk 'BEGIN { s = "hello world"; print toupper(s), substr(s, 7), index(s, "o"), split(s, a, " "), a[2] }'
awk 'BEGIN { x = sprintf("%c%c", 72, 105); print x; print int(7.9), 17 % 5, 7 / 2 }'
echo "a:b:c" | awk -F: -v OFS=- '{ $1 = $1; print }'
awk 'BEGIN { while ((getline line < "lines") > 0) n++; print n " lines read" }'
echo "== sort"
sort fruits
sort -k2 -n fruits
sort -k2,2nr fruits | head -3
sort -k3,3 -k1,1 fruits
sort -u -k3,3 fruits
sort -r lines
sort -t' ' -k2 -n -s fruits | cut -d' ' -f1 | tr '\n' ' '; echo
printf '10\n9\n100\n1e1\n-3\n' | sort -n
printf 'b\nA\na\nB\n' | sort
printf 'b\nA\na\nB\n' | sort -f
echo "== uniq"
cut -d' ' -f3 fruits | sort | uniq
cut -d' ' -f3 fruits | sort | uniq -c
cut -d' ' -f3 fruits | sort | uniq -d
cut -d' ' -f3 fruits | sort | uniq -u
echo "== wc"
wc fruits
wc -l < fruits
wc -w lines
wc -c nonl
wc -l fruits lines numbers
echo "== head and tail"
head -3 fruits
head -c 10 fruits; echo
head -n -6 fruits
tail -2 fruits
tail -n +7 fruits
tail -c 8 fruits
seq 1 100000 | tail -1
echo "== cut"
cut -d' ' -f1,3 fruits
cut -c1-3 fruits | tr '\n' ' '; echo
cut -d' ' -f2- fruits | head -2
echo "a,b,,d" | cut -d, -f3,4
echo "== tr"
echo "Hello World" | tr a-z A-Z
echo "Hello World" | tr -d lo
echo "aaabbbccc" | tr -s ab
echo "hello" | tr 'a-y' 'b-z'
printf 'a\tb\tc\n' | tr '\t' ,
echo "abc123def" | tr -cd '0-9'; echo
echo "== tee, rev, nl, paste, tac"
echo "through tee" | tee teed | tr a-z A-Z
cat teed
echo "stressed" | rev
nl -ba lines
paste -d: lines lines
seq 3 | tac
echo done
