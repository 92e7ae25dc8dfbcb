#!/usr/bin/perl
# maildmarc.pl: print, one JSON object a line, what Mail::DMARC (libmail-dmarc-perl)
# read from each DMARC aggregate report named on the command line (or, with
# no arguments, one path a line on standard input).
#
# It drives the peer's own receiver, Mail::DMARC::Report::Receive: handle_body
# for a bare report (after unpacking .gz/.zip with the IO::Uncompress modules the
# receiver itself uses) and from_email_simple for a whole message (.eml), so
# the peer also picks the report part out of the MIME structure. The receiver
# normally saves what it read into its SQL store, which needs a configuration
# and a database; save_aggregate is replaced by a no-op here, so nothing is
# written, no configuration is read and nothing touches the network.
#
# Output per input: {"file":..., "ok":true, "report":{...}} or
# {"file":..., "ok":false, "error":"..."}. Fields keep the peer's names and the
# values the peer stored (it rewrites some: see the Go side, dmarcpeers).
use strict;
use warnings;
use JSON::PP;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use IO::Uncompress::Unzip qw(unzip $UnzipError);
use Email::Simple;
use Mail::DMARC::Report::Receive;

{
    no warnings 'redefine';
    *Mail::DMARC::Report::save_aggregate = sub { return 1 };
    # Mail::DMARC finds elements by XPath without a namespace (/feedback/...),
    # so an RFC 9990 report, in the default namespace dmarc-2.0, reads as
    # nothing and dies. With MAILDMARC_STRIP_NS=1 that one declaration is
    # removed before its reader sees the XML, so the rest can be compared.
    if ($ENV{MAILDMARC_STRIP_NS}) {
        my $orig = \&Mail::DMARC::Report::Receive::handle_body;
        *Mail::DMARC::Report::Receive::handle_body = sub {
            my ($self, $body) = @_;
            $body =~ s/\s+xmlns="urn:ietf:params:xml:ns:dmarc-2\.0"//;
            return $orig->($self, $body);
        };
    }
}

binmode STDOUT, ':raw';
my $json = JSON::PP->new->canonical->utf8;
$| = 0;

my @files = @ARGV;
if (!@files) {
    while (my $l = <STDIN>) { chomp $l; push @files, $l if length $l; }
}

foreach my $file (@files) {
    my $out = eval { read_one($file) };
    if (!$out) {
        my $err = $@ || 'no aggregate report found';
        $err =~ s/\s+$//;
        $out = { file => $file, ok => JSON::PP::false, error => "$err" };
    }
    print $json->encode($out), "\n";
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "open $file: $!\n";
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d;
}

sub read_one {
    my ($file) = @_;
    my $recv = Mail::DMARC::Report::Receive->new;
    my $raw = slurp($file);
    if ($file =~ /\.(eml|msg)$/i) {
        # The receiver prints the Subject and warns about parts it skips:
        # keep stdout for JSON only.
        my $old = select(STDERR);
        my $type = eval { $recv->from_email_simple(Email::Simple->new($raw)) };
        my $err = $@;
        select($old);
        die $err if $err;
        die "not an aggregate report (" . ($type // 'none') . ")\n"
            if !$type || $type ne 'aggregate';
    } else {
        my $xml;
        if ($raw =~ /^\x1f\x8b/) {
            gunzip(\$raw => \$xml) or die "gunzip: $GunzipError\n";
        } elsif ($raw =~ /^PK\x03\x04/) {
            unzip(\$raw => \$xml) or die "unzip: $UnzipError\n";
        } else {
            $xml = $raw;
        }
        $recv->report->init();
        $recv->handle_body($xml);
    }
    # MAILDMARC_COUNT_ONLY=1 (the bench): say only how many records were
    # read, so the time measured is the peer's reading, not JSON::PP's
    # writing (pure Perl, and slower than the reading).
    if ($ENV{MAILDMARC_COUNT_ONLY}) {
        return { file => $file, ok => JSON::PP::true, records => scalar @{ $recv->report->aggregate->record || [] } };
    }
    return { file => $file, ok => JSON::PP::true, report => dump_agg($recv->report->aggregate) };
}

sub str { my $v = shift; return defined $v ? "$v" : ''; }

sub dump_agg {
    my ($agg) = @_;
    my $m = $agg->metadata;
    my $p = $agg->policy_published;
    my %pol;
    if ($p) {
        foreach my $k (qw/domain adkim aspf p sp pct np/) {
            $pol{$k} = str($p->{$k});
        }
    }
    my @recs;
    foreach my $r (@{ $agg->record || [] }) {
        my $pe = $r->row->policy_evaluated;
        my @reasons = map { { type => str($_->{type}), comment => str($_->{comment}) } }
            @{ $pe->{reason} || [] };
        my @dkim = map { { domain => str($_->{domain}), selector => str($_->{selector}),
                           result => str($_->{result}), human_result => str($_->{human_result}) } }
            @{ $r->auth_results->dkim || [] };
        my @spf = map { { domain => str($_->{domain}), scope => str($_->{scope}), result => str($_->{result}) } }
            @{ $r->auth_results->spf || [] };
        push @recs, {
            source_ip     => str($r->row->source_ip),
            count         => str($r->row->count),
            disposition   => str($pe->{disposition}),
            dkim          => str($pe->{dkim}),
            spf           => str($pe->{spf}),
            reasons       => \@reasons,
            header_from   => str($r->identifiers->header_from),
            envelope_from => str($r->identifiers->envelope_from),
            envelope_to   => str($r->identifiers->envelope_to),
            auth          => { dkim => \@dkim, spf => \@spf },
        };
    }
    return {
        org_name => str($m->org_name),
        email    => str($m->email),
        report_id => str($m->report_id),
        begin    => str($m->begin),
        end      => str($m->end),
        errors   => [ map { str($_) } @{ $m->{error} || [] } ],
        policy   => \%pol,
        records  => \@recs,
    };
}
